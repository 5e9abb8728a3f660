// SPDX-License-Identifier: Apache-2.0
#include "models/session_table_model.h"

#include "common/duration_format.h"
#include "widgets/plain_text.h"

#include <QBrush>
#include <QColor>
#include <QLocale>

namespace podtap::gui {

namespace {

// Session states borrow the pod health palette so one colour means one thing across the console.
QColor stateColor(SessionHandle::State state)
{
    switch (state) {
    case SessionHandle::State::Preparing:
    case SessionHandle::State::Stopping:
        return QColor(QStringLiteral("#1565c0"));
    case SessionHandle::State::Running:
        return QColor(QStringLiteral("#2e7d32"));
    case SessionHandle::State::Stopped:
        return QColor(QStringLiteral("#757575"));
    case SessionHandle::State::Failed:
        return QColor(QStringLiteral("#c62828"));
    }
    return {};
}

} // namespace

QString formatBytes(qint64 bytes)
{
    return QLocale::c().formattedDataSize(bytes, 1, QLocale::DataSizeSIFormat);
}

SessionTableModel::SessionTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
    m_ticker.setInterval(1000);
    connect(&m_ticker, &QTimer::timeout, this, &SessionTableModel::tick);
}

SessionTableModel::~SessionTableModel() = default;

void SessionTableModel::addSession(SessionHandle *session)
{
    Q_ASSERT(session);
    session->setParent(this);
    const int row = int(m_sessions.size());
    beginInsertRows({}, row, row);
    m_sessions.append(session);
    endInsertRows();
    connect(session, &SessionHandle::changed, this, [this, session] { onSessionChanged(session); });
    onSessionChanged(session);
}

void SessionTableModel::removeFinished()
{
    for (int row = int(m_sessions.size()) - 1; row >= 0; --row) {
        SessionHandle *session = m_sessions.at(row);
        if (session && session->isActive())
            continue;
        beginRemoveRows({}, row, row);
        m_sessions.removeAt(row);
        endRemoveRows();
        if (session)
            session->deleteLater();
    }
}

SessionHandle *SessionTableModel::sessionAt(int row) const
{
    return row >= 0 && row < m_sessions.size() ? m_sessions.at(row).data() : nullptr;
}

int SessionTableModel::rowOf(const SessionHandle *session) const
{
    for (int row = 0; row < m_sessions.size(); ++row) {
        if (m_sessions.at(row) == session)
            return row;
    }
    return -1;
}

QList<SessionHandle *> SessionTableModel::sessions() const
{
    QList<SessionHandle *> result;
    for (const QPointer<SessionHandle> &session : m_sessions) {
        if (session)
            result.append(session);
    }
    return result;
}

int SessionTableModel::activeCount() const
{
    int active = 0;
    for (const QPointer<SessionHandle> &session : m_sessions)
        active += session && session->isActive() ? 1 : 0;
    return active;
}

int SessionTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_sessions.size());
}

int SessionTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SessionTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const SessionHandle *session = m_sessions.at(index.row());
    if (!session)
        return {};
    const SessionHandle::Stats &stats = session->stats();

    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case StateColumn:
            if (session->isActive() && session->state() != SessionHandle::State::Running &&
                !session->progressText().isEmpty())
                return QStringLiteral("%1: %2").arg(sessionStateName(session->state()), session->progressText());
            return sessionStateName(session->state());
        case TargetColumn:
            return session->target();
        case DestinationColumn:
            // Which path runs matters as much as where to: "local" may stream through the API server.
            if (!session->dataPath().isEmpty())
                return QStringLiteral("%1 (%2)").arg(session->destination(), session->dataPath());
            return session->destination();
        case PacketsColumn:
            return QLocale().toString(stats.packets);
        case BytesColumn:
            return formatBytes(stats.bytes);
        case DropsColumn:
            return QLocale().toString(stats.drops);
        case ElapsedColumn:
            return humanDuration(session->elapsedSeconds() * 1000);
        }
        break;
    case SortRole:
        switch (index.column()) {
        case StateColumn:
            return int(session->state());
        case TargetColumn:
            return session->target();
        case DestinationColumn:
            return session->destination();
        case PacketsColumn:
            return stats.packets;
        case BytesColumn:
            return stats.bytes;
        case DropsColumn:
            return stats.drops;
        case ElapsedColumn:
            return session->elapsedSeconds();
        }
        break;
    case Qt::ForegroundRole:
        if (index.column() == StateColumn)
            return QBrush(stateColor(session->state()));
        if (index.column() == DropsColumn && stats.drops > 0)
            return QBrush(stateColor(SessionHandle::State::Failed));
        break;
    case Qt::ToolTipRole:
        // Server and agent messages: a tooltip would render them as HTML when they look like it.
        if (session->state() == SessionHandle::State::Failed)
            return plainToolTip(session->failureSummary());
        if (index.column() == StateColumn)
            return plainToolTip(session->progressText());
        if (index.column() == DestinationColumn && !session->dataPathReason().isEmpty())
            return plainToolTip(session->dataPathReason());
        break;
    case Qt::TextAlignmentRole:
        if (index.column() >= PacketsColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case StateRole:
        return int(session->state());
    case ActiveRole:
        return session->isActive();
    default:
        break;
    }
    return {};
}

QVariant SessionTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case StateColumn:
        return tr("State");
    case TargetColumn:
        return tr("Target");
    case DestinationColumn:
        return tr("Destination");
    case PacketsColumn:
        return tr("Packets");
    case BytesColumn:
        return tr("Bytes");
    case DropsColumn:
        return tr("Drops");
    case ElapsedColumn:
        return tr("Elapsed");
    }
    return {};
}

void SessionTableModel::onSessionChanged(SessionHandle *session)
{
    const int row = rowOf(session);
    if (row >= 0)
        Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    const int active = activeCount();
    if (active > 0 && !m_ticker.isActive())
        m_ticker.start();
    else if (active == 0)
        m_ticker.stop();
    if (active != m_lastActive) {
        m_lastActive = active;
        Q_EMIT activeCountChanged(active);
    }
}

void SessionTableModel::tick()
{
    for (int row = 0; row < m_sessions.size(); ++row) {
        const SessionHandle *session = m_sessions.at(row);
        if (session && session->isActive())
            Q_EMIT dataChanged(index(row, ElapsedColumn), index(row, ElapsedColumn), {Qt::DisplayRole, SortRole});
    }
}

} // namespace podtap::gui
