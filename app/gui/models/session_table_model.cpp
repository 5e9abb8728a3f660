// SPDX-License-Identifier: Apache-2.0
#include "models/session_table_model.h"

#include "common/duration_format.h"
#include "widgets/plain_text.h"

#include <QBrush>
#include <QColor>
#include <QCoreApplication>
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
    : QAbstractItemModel(parent)
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
    m_sessions.append(Row {session, 0});
    endInsertRows();
    connect(session, &SessionHandle::changed, this, [this, session] { onSessionChanged(session); });
    connect(session, &SessionHandle::membersChanged, this, [this, session] { onMembersChanged(session); });
    onMembersChanged(session);
    onSessionChanged(session);
}

void SessionTableModel::removeFinished()
{
    for (int row = int(m_sessions.size()) - 1; row >= 0; --row) {
        SessionHandle *session = m_sessions.at(row).session;
        if (session && session->isActive())
            continue;
        beginRemoveRows({}, row, row);
        m_sessions.removeAt(row);
        endRemoveRows();
        if (session) {
            // Its last signals must not reach rows that are gone.
            disconnect(session, nullptr, this, nullptr);
            session->deleteLater();
        }
    }
}

SessionHandle *SessionTableModel::sessionAt(int row) const
{
    return row >= 0 && row < m_sessions.size() ? m_sessions.at(row).session.data() : nullptr;
}

SessionHandle *SessionTableModel::sessionOf(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this)
        return nullptr;
    if (auto *parentSession = static_cast<SessionHandle *>(index.internalPointer()))
        return rowOf(parentSession) >= 0 ? parentSession : nullptr;
    return sessionAt(index.row());
}

const SessionHandle::Member *SessionTableModel::memberAt(const QModelIndex &index) const
{
    if (!index.isValid() || index.model() != this || !index.internalPointer())
        return nullptr;
    const SessionHandle *session = sessionOf(index);
    if (!session || index.row() >= session->members().size())
        return nullptr;
    return &session->members().at(index.row());
}

int SessionTableModel::rowOf(const SessionHandle *session) const
{
    for (int row = 0; row < m_sessions.size(); ++row) {
        if (m_sessions.at(row).session == session)
            return row;
    }
    return -1;
}

QList<SessionHandle *> SessionTableModel::sessions() const
{
    QList<SessionHandle *> result;
    for (const Row &row : m_sessions) {
        if (row.session)
            result.append(row.session);
    }
    return result;
}

int SessionTableModel::activeCount() const
{
    int active = 0;
    for (const Row &row : m_sessions)
        active += row.session && row.session->isActive() ? 1 : 0;
    return active;
}

QModelIndex SessionTableModel::index(int row, int column, const QModelIndex &parent) const
{
    if (!hasIndex(row, column, parent))
        return {};
    if (!parent.isValid())
        return createIndex(row, column, nullptr);
    // A child row carries its session, which stays valid while rows above it come and go.
    return createIndex(row, column, m_sessions.at(parent.row()).session.data());
}

QModelIndex SessionTableModel::parent(const QModelIndex &child) const
{
    if (!child.isValid() || !child.internalPointer())
        return {};
    const int row = rowOf(static_cast<const SessionHandle *>(child.internalPointer()));
    return row < 0 ? QModelIndex() : createIndex(row, 0, nullptr);
}

int SessionTableModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return int(m_sessions.size());
    if (parent.internalPointer() || parent.column() != 0 || parent.row() >= m_sessions.size())
        return 0;
    return m_sessions.at(parent.row()).memberRows;
}

int SessionTableModel::columnCount(const QModelIndex &parent) const
{
    Q_UNUSED(parent)
    return ColumnCount;
}

QVariant SessionTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    if (index.internalPointer()) {
        const SessionHandle::Member *member = memberAt(index);
        return member ? memberData(*member, index.column(), role) : QVariant();
    }
    const SessionHandle *session = m_sessions.at(index.row()).session;
    return session ? sessionData(*session, index.column(), role) : QVariant();
}

namespace {

/// "3 pods tapped, 1 gone": the child rows' states in a few words, for the session row.
QString membersSummary(const QList<SessionHandle::Member> &members)
{
    using Health = SessionHandle::Member::Health;
    int counts[4] = {0, 0, 0, 0};
    for (const SessionHandle::Member &member : members)
        ++counts[int(member.health)];
    QStringList parts;
    if (counts[int(Health::Tapped)] > 0)
        parts << (counts[int(Health::Tapped)] == 1
                ? QCoreApplication::translate("podtap", "1 pod tapped")
                : QCoreApplication::translate("podtap", "%1 pods tapped").arg(counts[int(Health::Tapped)]));
    if (counts[int(Health::Pending)] > 0)
        parts << QCoreApplication::translate("podtap", "%1 waiting").arg(counts[int(Health::Pending)]);
    if (counts[int(Health::Ended)] > 0)
        parts << QCoreApplication::translate("podtap", "%1 ended").arg(counts[int(Health::Ended)]);
    if (counts[int(Health::Failed)] > 0)
        parts << QCoreApplication::translate("podtap", "%1 failed").arg(counts[int(Health::Failed)]);
    return parts.join(QStringLiteral(", "));
}

QColor memberColor(SessionHandle::Member::Health health)
{
    switch (health) {
    case SessionHandle::Member::Health::Pending:
        return stateColor(SessionHandle::State::Preparing);
    case SessionHandle::Member::Health::Tapped:
        return stateColor(SessionHandle::State::Running);
    case SessionHandle::Member::Health::Ended:
        return stateColor(SessionHandle::State::Stopped);
    case SessionHandle::Member::Health::Failed:
        return stateColor(SessionHandle::State::Failed);
    }
    return {};
}

} // namespace

QVariant SessionTableModel::sessionData(const SessionHandle &session, int column, int role) const
{
    const SessionHandle::Stats &stats = session.stats();
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case StateColumn:
            if (session.isActive() && session.state() != SessionHandle::State::Running &&
                !session.progressText().isEmpty())
                return QStringLiteral("%1: %2").arg(sessionStateName(session.state()), session.progressText());
            if (session.state() == SessionHandle::State::Running && !session.members().isEmpty())
                return QStringLiteral("%1: %2").arg(
                    sessionStateName(session.state()), membersSummary(session.members()));
            return sessionStateName(session.state());
        case TargetColumn:
            return session.target();
        case DestinationColumn:
            // Which path runs matters as much as where to: "local" may stream through the API server.
            if (!session.dataPath().isEmpty())
                return QStringLiteral("%1 (%2)").arg(session.destination(), session.dataPath());
            return session.destination();
        case PacketsColumn:
            return QLocale().toString(stats.packets);
        case BytesColumn:
            return formatBytes(stats.bytes);
        case DropsColumn:
            return QLocale().toString(stats.drops);
        case ElapsedColumn:
            return humanDuration(session.elapsedSeconds() * 1000);
        }
        break;
    case SortRole:
        switch (column) {
        case StateColumn:
            return int(session.state());
        case TargetColumn:
            return session.target();
        case DestinationColumn:
            return session.destination();
        case PacketsColumn:
            return stats.packets;
        case BytesColumn:
            return stats.bytes;
        case DropsColumn:
            return stats.drops;
        case ElapsedColumn:
            return session.elapsedSeconds();
        }
        break;
    case Qt::ForegroundRole:
        if (column == StateColumn)
            return QBrush(stateColor(session.state()));
        if (column == DropsColumn && stats.drops > 0)
            return QBrush(stateColor(SessionHandle::State::Failed));
        break;
    case Qt::ToolTipRole:
        // Server and agent messages: a tooltip would render them as HTML when they look like it.
        if (session.state() == SessionHandle::State::Failed)
            return plainToolTip(session.failureSummary());
        if (column == StateColumn)
            return plainToolTip(session.progressText());
        if (column == DestinationColumn && !session.dataPathReason().isEmpty())
            return plainToolTip(session.dataPathReason());
        // The pods that came and went, newest last: what the child rows no longer say.
        if (column == TargetColumn && !session.memberEvents().isEmpty())
            return plainToolTip(session.memberEvents()
                                    .mid(std::max<qsizetype>(0, session.memberEvents().size() - 12))
                                    .join(QLatin1Char('\n')));
        break;
    case Qt::TextAlignmentRole:
        if (column >= PacketsColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case StateRole:
        return int(session.state());
    case ActiveRole:
        return session.isActive();
    default:
        break;
    }
    return {};
}

QVariant SessionTableModel::memberData(const SessionHandle::Member &member, int column, int role) const
{
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case StateColumn:
            return member.stateText;
        case TargetColumn:
            return member.key;
        case DestinationColumn:
            return member.node;
        case PacketsColumn:
            return QLocale().toString(member.mirroredPackets);
        case BytesColumn:
            return formatBytes(member.mirroredBytes);
        }
        break;
    case SortRole:
        switch (column) {
        case StateColumn:
            return int(member.health);
        case TargetColumn:
            return member.key;
        case DestinationColumn:
            return member.node;
        case PacketsColumn:
            return member.mirroredPackets;
        case BytesColumn:
            return member.mirroredBytes;
        }
        break;
    case Qt::ForegroundRole:
        if (column == StateColumn)
            return QBrush(memberColor(member.health));
        break;
    case Qt::ToolTipRole:
        switch (column) {
        case StateColumn:
        case TargetColumn:
            return plainToolTip(QStringLiteral("%1: %2").arg(member.key, member.stateText));
        case DestinationColumn:
            return tr("The node %1 runs this pod, and the agent pod that mirrors it.").arg(member.node);
        case PacketsColumn:
        case BytesColumn:
            return tr("Mirrored by the agent on %1: %2 packets (%3). Arrived on this machine: %4 packets (%5).")
                .arg(member.node, QLocale().toString(member.mirroredPackets), formatBytes(member.mirroredBytes),
                    QLocale().toString(member.capturedPackets), formatBytes(member.capturedBytes));
        }
        break;
    case Qt::TextAlignmentRole:
        if (column >= PacketsColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case StateRole:
        return int(member.health);
    default:
        break;
    }
    return {};
}

QVariant SessionTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractItemModel::headerData(section, orientation, role);
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

void SessionTableModel::onMembersChanged(SessionHandle *session)
{
    const int row = rowOf(session);
    if (row < 0)
        return;
    const QModelIndex parent = index(row, 0);
    const int known = m_sessions.at(row).memberRows;
    const int now = int(session->members().size());
    // The handle's list already changed: the count the views see moves between begin and end.
    if (now > known) {
        beginInsertRows(parent, known, now - 1);
        m_sessions[row].memberRows = now;
        endInsertRows();
    } else if (now < known) {
        beginRemoveRows(parent, now, known - 1);
        m_sessions[row].memberRows = now;
        endRemoveRows();
    }
    if (const int common = std::min(known, now); common > 0)
        Q_EMIT dataChanged(index(0, 0, parent), index(common - 1, ColumnCount - 1, parent));
    // The session row sums its pods up.
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

void SessionTableModel::tick()
{
    for (int row = 0; row < m_sessions.size(); ++row) {
        const SessionHandle *session = m_sessions.at(row).session;
        if (session && session->isActive())
            Q_EMIT dataChanged(index(row, ElapsedColumn), index(row, ElapsedColumn), {Qt::DisplayRole, SortRole});
    }
}

} // namespace podtap::gui
