// SPDX-License-Identifier: Apache-2.0
#include "workload_session_handle.h"

#include "tap/workload_session.h"

#include <QProcess>

namespace podtap::gui {

namespace {

SessionHandle::State handleState(WorkloadTapSession::State state)
{
    switch (state) {
    case WorkloadTapSession::State::Running:
        return SessionHandle::State::Running;
    case WorkloadTapSession::State::Stopping:
        return SessionHandle::State::Stopping;
    case WorkloadTapSession::State::Stopped:
        return SessionHandle::State::Stopped;
    case WorkloadTapSession::State::Failed:
        return SessionHandle::State::Failed;
    default:
        return SessionHandle::State::Preparing;
    }
}

TapSessionOptions sessionOptions(TapTool tool, const QString &saveFile)
{
    TapSessionOptions options;
    options.capture = captureOptionsFor(tool, saveFile);
    // The receiver writes the file itself, and "Show tshark output" is a viewer this handle reads: the
    // session starts only Wireshark on its own.
    if (tool == TapTool::SaveToFile || tool == TapTool::Tshark)
        options.capture.tool = CaptureTool::None;
    return options;
}

} // namespace

WorkloadSessionHandle::WorkloadSessionHandle(
    kube::KubeClient *client, const WorkloadTapRequest &request, TapTool tool, const QString &saveFile, QObject *parent)
    : SessionHandle(request.pods.isEmpty() ? request.describe() : TapDialog::describePods(request.pods),
          request.destination.toString(), parent)
    , m_session(new WorkloadTapSession(client, request, sessionOptions(tool, saveFile), this))
    , m_tool(tool)
{
    connect(m_session, &WorkloadTapSession::progress, this, &SessionHandle::reportProgress);
    // The session says failed() when a step fails and only then removes what it created (Stopping); the row
    // turns Failed, with the fix, once that is done, so it never goes from Failed back to Stopping.
    connect(m_session, &WorkloadTapSession::stateChanged, this, [this](WorkloadTapSession::State state) {
        // The pods' rows as they are when the tap's row changes state (its summary counts them).
        updateMembers();
        if (state == WorkloadTapSession::State::Failed)
            reportFailure(m_session->failureSummary(), m_session->failureFix());
        else
            reportState(handleState(state));
    });
    m_membersTimer.setSingleShot(true);
    m_membersTimer.setInterval(kMembersIntervalMs);
    connect(&m_membersTimer, &QTimer::timeout, this, &WorkloadSessionHandle::updateMembers);
    const auto membersLater = [this] {
        if (!m_membersTimer.isActive())
            m_membersTimer.start();
    };
    connect(m_session, &WorkloadTapSession::countersChanged, this, [this, membersLater] {
        updateStats();
        membersLater();
    });
    connect(m_session, &WorkloadTapSession::memberChanged, this, membersLater);
    connect(m_session, &WorkloadTapSession::memberEvent, this, &SessionHandle::reportMemberEvent);
    // A warning (the pod limit reached, the expected bandwidth) belongs with the pods' events.
    connect(m_session, &WorkloadTapSession::warningRaised, this,
        [this](const QString &text) { reportMemberEvent(tr("warning: %1").arg(text)); });
    connect(m_session, &WorkloadTapSession::ready, this, [this] {
        setAttachesViewers(true);
        if (m_tool == TapTool::Tshark)
            showOwnTshark();
    });
    m_session->start();
    // The leftover sweep must never offer this console's own pods.
    setSessionId(m_session->sessionId());
}

WorkloadSessionHandle::~WorkloadSessionHandle() = default;

WorkloadTapSession *WorkloadSessionHandle::session() const
{
    return m_session;
}

void WorkloadSessionHandle::stop()
{
    if (m_session)
        m_session->stop();
}

QProcess *WorkloadSessionHandle::openViewer(CaptureTool tool, QString *error)
{
    if (!m_session)
        return SessionHandle::openViewer(tool, error);
    return m_session->openViewer(tool, {}, error);
}

SessionHandle::Member WorkloadSessionHandle::memberRow(const WorkloadMember &member)
{
    Member row;
    row.key = member.key;
    row.node = member.node;
    row.stateText = workloadMemberStateName(member.state);
    if (!member.detail.isEmpty())
        row.stateText += QStringLiteral(": ") + member.detail;
    switch (member.state) {
    case WorkloadMember::State::Waiting:
    case WorkloadMember::State::Starting:
        row.health = Member::Health::Pending;
        break;
    case WorkloadMember::State::Tapped:
        row.health = Member::Health::Tapped;
        break;
    case WorkloadMember::State::Gone:
    case WorkloadMember::State::Skipped:
        row.health = Member::Health::Ended;
        break;
    case WorkloadMember::State::Failed:
        row.health = Member::Health::Failed;
        break;
    }
    row.mirroredPackets = member.mirroredPackets;
    row.mirroredBytes = member.mirroredBytes;
    row.capturedPackets = member.capturedPackets;
    row.capturedBytes = member.capturedBytes;
    return row;
}

void WorkloadSessionHandle::updateMembers()
{
    m_membersTimer.stop();
    if (!m_session)
        return;
    QList<Member> rows;
    const QList<WorkloadMember> members = m_session->members();
    rows.reserve(members.size());
    for (const WorkloadMember &member : members)
        rows << memberRow(member);
    reportMembers(rows);
}

void WorkloadSessionHandle::updateStats()
{
    // Drops: frames the agents could not send, plus frames this machine lost on arrival.
    const AgentStats stats = m_session->stats();
    reportStats({stats.packets, stats.bytes, stats.drops + m_session->captureDrops()});
}

void WorkloadSessionHandle::showOwnTshark()
{
    QString error;
    QProcess *viewer = m_session->openViewer(CaptureTool::Tshark, {}, &error);
    if (!viewer) {
        reportMemberEvent(tr("warning: cannot show tshark output: %1").arg(error));
        return;
    }
    m_ownTshark = viewer;
    connect(viewer, &QProcess::readyRead, this, [this, viewer] {
        while (viewer->canReadLine()) {
            const QString line = QString::fromUtf8(viewer->readLine()).trimmed();
            if (!line.isEmpty())
                reportCaptureLine(line);
        }
    });
}

SessionHandle *createWorkloadTapSession(
    kube::KubeClient *client, const WorkloadTapRequest &request, TapTool tool, const QString &saveFile)
{
    if (!client)
        return nullptr;
    return new WorkloadSessionHandle(client, request, tool, saveFile);
}

} // namespace podtap::gui
