// SPDX-License-Identifier: Apache-2.0
#include "session_handle.h"

#include "tap/tap_session.h"

#include <QCoreApplication>

namespace podtap::gui {

SessionHandle::SessionHandle(QString target, QString destination, QObject *parent)
    : QObject(parent)
    , m_target(std::move(target))
    , m_destination(std::move(destination))
    , m_startedAt(QDateTime::currentDateTimeUtc())
{
}

SessionHandle::~SessionHandle() = default;

qint64 SessionHandle::elapsedSeconds(const QDateTime &now) const
{
    const QDateTime end = m_endedAt.isValid() ? m_endedAt : now;
    return std::max<qint64>(0, m_startedAt.secsTo(end));
}

void SessionHandle::stop()
{
    if (!isActive())
        return;
    reportState(State::Stopping);
    reportState(State::Stopped);
}

void SessionHandle::reportProgress(const QString &text)
{
    if (m_progress == text)
        return;
    m_progress = text;
    Q_EMIT changed();
}

void SessionHandle::reportDataPath(const QString &path, const QString &reason)
{
    if (m_dataPath == path && m_dataPathReason == reason)
        return;
    m_dataPath = path;
    m_dataPathReason = reason;
    Q_EMIT changed();
}

void SessionHandle::reportState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    if (!isActive() && !m_endedAt.isValid())
        m_endedAt = QDateTime::currentDateTimeUtc();
    Q_EMIT stateChanged(state);
    Q_EMIT changed();
}

void SessionHandle::reportStats(const Stats &stats)
{
    if (m_stats == stats)
        return;
    m_stats = stats;
    Q_EMIT changed();
}

void SessionHandle::reportFailure(const QString &summary, const QString &fix)
{
    m_failureSummary = summary;
    m_failureFix = fix;
    reportState(State::Failed);
    Q_EMIT failed(summary, fix);
}

void SessionHandle::setCaptureInterface(const QString &interfaceName, const QString &hostsFile)
{
    m_captureInterface = interfaceName;
    m_hostsFile = hostsFile;
    Q_EMIT changed();
}

CaptureOptions SessionHandle::captureOptions(CaptureTool tool) const
{
    CaptureOptions options;
    options.tool = tool;
    options.interfaceName = m_captureInterface;
    options.hostsFile = m_hostsFile;
    return options;
}

QString sessionStateName(SessionHandle::State state)
{
    // The console's states are the core session's, with its preparing steps taken together:
    // the names come from TapSession::stateName() so both faces say the same.
    switch (state) {
    case SessionHandle::State::Preparing:
        return QCoreApplication::translate("podtap", "Preparing");
    case SessionHandle::State::Running:
        return TapSession::stateName(TapSession::State::Running);
    case SessionHandle::State::Stopping:
        return TapSession::stateName(TapSession::State::Stopping);
    case SessionHandle::State::Stopped:
        return TapSession::stateName(TapSession::State::Stopped);
    case SessionHandle::State::Failed:
        return TapSession::stateName(TapSession::State::Failed);
    }
    return {};
}

QProcess *SessionHandle::openViewer(CaptureTool tool, QString *error)
{
    *error = tr("%1 has no capture stream on this machine for %2.").arg(m_target, captureToolDisplayName(tool));
    return nullptr;
}

void SessionHandle::setAttachesViewers(bool attaches)
{
    m_attachesViewers = attaches;
    Q_EMIT changed();
}

void SessionHandle::reportMembers(const QList<Member> &members)
{
    if (m_members == members)
        return;
    m_members = members;
    Q_EMIT membersChanged();
}

void SessionHandle::reportMemberEvent(const QString &text)
{
    m_memberEvents.append(text);
    if (m_memberEvents.size() > kMaxMemberEvents)
        m_memberEvents.removeFirst();
    Q_EMIT memberEvent(text);
    // The session's row shows the latest event in its tooltip.
    Q_EMIT changed();
}

} // namespace podtap::gui
