// SPDX-License-Identifier: Apache-2.0
#include "pod_table_model.h"

#include "kubectl_format.h"

#include <QAbstractProxyModel>
#include <QDateTime>
#include <QJsonArray>

#include <algorithm>
#include <limits>

namespace podtap::cluster {

namespace {

constexpr int kDefaultBatchMs = 150;

} // namespace

PodTableModel::PodTableModel(QObject *parent)
    : QAbstractTableModel(parent)
    , m_now([] { return QDateTime::currentMSecsSinceEpoch(); })
{
    m_batchTimer.setInterval(kDefaultBatchMs);
    m_batchTimer.setSingleShot(true);
    connect(&m_batchTimer, &QTimer::timeout, this, &PodTableModel::applyPending);
}

PodTableModel::~PodTableModel() = default;

int PodTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_table.size();
}

int PodTableModel::columnCount(const QModelIndex &parent) const
{
    if (parent.isValid()) {
        return 0;
    }
    return m_allNamespaces ? ColumnCount : ColumnCount - 1;
}

PodTableModel::Column PodTableModel::columnAt(int column) const
{
    return Column(m_allNamespaces ? column : column + 1);
}

void PodTableModel::setAllNamespaces(bool all)
{
    if (m_allNamespaces == all) {
        return;
    }
    if (all) {
        beginInsertColumns({}, 0, 0);
        m_allNamespaces = true;
        endInsertColumns();
    } else {
        beginRemoveColumns({}, 0, 0);
        m_allNamespaces = false;
        endRemoveColumns();
    }
    Q_EMIT allNamespacesChanged(all);
}

QVariant PodTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= columnCount()) {
        return {};
    }
    switch (columnAt(section)) {
    case NamespaceColumn:
        return QStringLiteral("Namespace");
    case NameColumn:
        return QStringLiteral("Name");
    case ReadyColumn:
        return QStringLiteral("Ready");
    case StatusColumn:
        return QStringLiteral("Status");
    case RestartsColumn:
        return QStringLiteral("Restarts");
    case AgeColumn:
        return QStringLiteral("Age");
    case IpColumn:
        return QStringLiteral("IP");
    case NodeColumn:
        return QStringLiteral("Node");
    case ColumnCount:
        break;
    }
    return {};
}

QHash<int, QByteArray> PodTableModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractTableModel::roleNames();
    names.insert(UidRole, "uid");
    names.insert(NamespaceRole, "namespace");
    names.insert(NameRole, "name");
    names.insert(StatusRole, "status");
    names.insert(PhaseRole, "phase");
    names.insert(HealthRole, "health");
    names.insert(HealthIconRole, "healthIcon");
    names.insert(ReadyContainersRole, "readyContainers");
    names.insert(TotalContainersRole, "totalContainers");
    names.insert(RestartsRole, "restarts");
    names.insert(CreationTimeRole, "creationTime");
    names.insert(IpRole, "ip");
    names.insert(NodeRole, "node");
    names.insert(ContainerIdsRole, "containerIds");
    names.insert(SortRole, "sortKey");
    names.insert(StaleRole, "stale");
    return names;
}

QVariant PodTableModel::displayText(const PodRow &row, Column column) const
{
    switch (column) {
    case NamespaceColumn:
        return row.namespaceName;
    case NameColumn:
        return row.name;
    case ReadyColumn:
        return kubectl::ready(row);
    case StatusColumn:
        return row.status;
    case RestartsColumn:
        return kubectl::restarts(row, m_now());
    case AgeColumn:
        return kubectl::age(row.creationMs, m_now());
    case IpColumn:
        return row.podIp.isEmpty() ? QStringLiteral("<none>") : row.podIp;
    case NodeColumn:
        return row.nodeName.isEmpty() ? QStringLiteral("<none>") : row.nodeName;
    case ColumnCount:
        break;
    }
    return {};
}

QVariant PodTableModel::sortKey(const PodRow &row, Column column) const
{
    switch (column) {
    case ReadyColumn:
        return row.totalContainers == 0 ? 0.0 : double(row.readyContainers) / row.totalContainers;
    case RestartsColumn:
        return row.restarts;
    case AgeColumn:
        // Older first when ascending, like kubectl's --sort-by=.metadata.creationTimestamp reversed:
        // the key is the age itself so "3d" sorts after "5m".
        return row.creationMs == 0 ? qint64(0) : m_now() - row.creationMs;
    case StatusColumn:
        // Group by health (failures together), then by the text.
        return QStringLiteral("%1 %2").arg(int(podHealth(row))).arg(row.status);
    default:
        return displayText(row, column);
    }
}

bool PodTableModel::lessThan(int left, int right, Column column) const
{
    const PodRow &a = m_table.at(left);
    const PodRow &b = m_table.at(right);
    switch (column) {
    case NamespaceColumn:
        return a.namespaceName < b.namespaceName;
    case NameColumn:
        return a.name < b.name;
    case ReadyColumn: {
        // a.ready/a.total < b.ready/b.total without division; no containers counts as 0.
        const qint64 l = a.totalContainers == 0 ? 0 : qint64(a.readyContainers) * std::max(b.totalContainers, 1);
        const qint64 r = b.totalContainers == 0 ? 0 : qint64(b.readyContainers) * std::max(a.totalContainers, 1);
        return l < r;
    }
    case RestartsColumn:
        return a.restarts < b.restarts;
    case AgeColumn: {
        // Younger first, as SortRole's age (now - creation) ascending; an unknown creation time is age 0.
        const qint64 l = a.creationMs == 0 ? std::numeric_limits<qint64>::max() : a.creationMs;
        const qint64 r = b.creationMs == 0 ? std::numeric_limits<qint64>::max() : b.creationMs;
        return l > r;
    }
    case StatusColumn: {
        const int l = int(podHealth(a));
        const int r = int(podHealth(b));
        return l != r ? l < r : a.status < b.status;
    }
    case IpColumn:
    case NodeColumn: {
        // As displayed: an empty value shows (and sorts) as <none>.
        const QString &l = column == IpColumn ? a.podIp : a.nodeName;
        const QString &r = column == IpColumn ? b.podIp : b.nodeName;
        if (l.isEmpty() || r.isEmpty()) {
            return (l.isEmpty() ? QStringLiteral("<none>") : l) < (r.isEmpty() ? QStringLiteral("<none>") : r);
        }
        return l < r;
    }
    case ColumnCount:
        break;
    }
    return sortKey(a, column).toString() < sortKey(b, column).toString();
}

QVariant PodTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const PodRow &row = m_table.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return displayText(row, columnAt(index.column()));
    case Qt::ToolTipRole:
        if (columnAt(index.column()) == AgeColumn && row.creationMs != 0) {
            return QDateTime::fromMSecsSinceEpoch(row.creationMs, Qt::UTC).toString(Qt::ISODate);
        }
        return {};
    case UidRole:
        return row.uid;
    case NamespaceRole:
        return row.namespaceName;
    case NameRole:
        return row.name;
    case StatusRole:
        return row.status;
    case PhaseRole:
        return row.phase;
    case HealthRole:
        return int(podHealth(row));
    case HealthIconRole:
        return QString::fromLatin1(podHealthStyle(podHealth(row)).iconName);
    case ReadyContainersRole:
        return row.readyContainers;
    case TotalContainersRole:
        return row.totalContainers;
    case RestartsRole:
        return row.restarts;
    case CreationTimeRole:
        return row.creationMs;
    case IpRole:
        return row.podIp;
    case NodeRole:
        return row.nodeName;
    case ContainerIdsRole:
        return row.containerIds;
    case SortRole:
        return sortKey(row, columnAt(index.column()));
    case StaleRole:
        return m_stale;
    default:
        return {};
    }
}

const PodRow *PodTableModel::podAt(const QModelIndex &index)
{
    QModelIndex source = index;
    while (source.isValid()) {
        if (const auto *pods = qobject_cast<const PodTableModel *>(source.model())) {
            return source.row() < pods->m_table.size() ? &pods->m_table.at(source.row()) : nullptr;
        }
        const auto *proxy = qobject_cast<const QAbstractProxyModel *>(source.model());
        if (!proxy) {
            return nullptr;
        }
        source = proxy->mapToSource(source);
    }
    return nullptr;
}

void PodTableModel::setStale(bool stale)
{
    if (m_stale == stale) {
        return;
    }
    m_stale = stale;
    Q_EMIT staleChanged(stale);
}

void PodTableModel::connectTo(kube::ListWatch *listWatch)
{
    if (m_listWatch) {
        m_listWatch->disconnect(this);
    }
    m_listWatch = listWatch;
    connect(listWatch, &kube::ListWatch::relistStarted, this, &PodTableModel::beginRelist);
    connect(listWatch, &kube::ListWatch::pageReceived, this, &PodTableModel::addListPage);
    connect(listWatch, &kube::ListWatch::relistFinished, this, &PodTableModel::endRelist);
    connect(listWatch, &kube::ListWatch::eventReceived, this, &PodTableModel::queueEvent);
    connect(listWatch, &kube::ListWatch::staleChanged, this, &PodTableModel::setStale);
}

void PodTableModel::countIn(const PodRow &row)
{
    ++m_namespaceCounts[row.namespaceName];
}

void PodTableModel::countOut(const PodRow &row)
{
    auto it = m_namespaceCounts.find(row.namespaceName);
    if (it != m_namespaceCounts.end() && --*it <= 0) {
        m_namespaceCounts.erase(it);
    }
}

void PodTableModel::beginRelist()
{
    m_relisting = true;
    m_initialList = m_table.isEmpty();
    m_building.clear();
    // Events queued before the relist are superseded by it.
    m_pending.clear();
    m_pendingOrder.clear();
    m_batchTimer.stop();
}

void PodTableModel::addListPage(const QJsonArray &items)
{
    if (!m_relisting) {
        beginRelist();
    }
    for (const QJsonValue &value : items) {
        PodRow row = m_parser.pod(value.toObject());
        if (row.uid.isEmpty()) {
            continue;
        }
        const int existing = m_building.rowOf(row.uid);
        if (existing >= 0) {
            m_building.replace(existing, std::move(row));
        } else {
            m_building.append(std::move(row));
        }
    }
    if (m_initialList && m_table.isEmpty() && !m_building.isEmpty()) {
        // Nothing is on screen yet: show the first page now instead of an empty table until the
        // end. The whole list still replaces it in one reset at the end: inserting 100k rows into a
        // sorted view row range by row range costs far more than sorting them once.
        beginInsertRows({}, 0, m_building.size() - 1);
        m_table.reserve(m_building.size());
        for (int row = 0; row < m_building.size(); ++row) {
            countIn(m_building.at(row));
            m_table.append(m_building.at(row));
        }
        endInsertRows();
        Q_EMIT namespaceCountsChanged();
    }
}

void PodTableModel::endRelist()
{
    if (!m_relisting) {
        beginRelist();
    }
    m_initialList = false;
    beginResetModel();
    m_table.swap(m_building);
    m_building.clear();
    m_relisting = false;
    m_namespaceCounts.clear();
    for (int row = 0; row < m_table.size(); ++row) {
        countIn(m_table.at(row));
    }
    // Drop interned strings that only the old rows used.
    StringPool fresh;
    m_pool = std::move(fresh);
    for (int row = 0; row < m_table.size(); ++row) {
        const PodRow &pod = m_table.at(row);
        m_pool.intern(pod.namespaceName);
        m_pool.intern(pod.nodeName);
        m_pool.intern(pod.status);
        m_pool.intern(pod.phase);
    }
    endResetModel();
    Q_EMIT namespaceCountsChanged();
}

void PodTableModel::queueEvent(kube::WatchEventType type, const QJsonObject &object)
{
    PodRow row = m_parser.pod(object);
    if (row.uid.isEmpty()) {
        return;
    }
    queueRow(type, std::move(row));
}

void PodTableModel::queueRow(kube::WatchEventType type, PodRow row)
{
    const QString uid = row.uid;
    auto it = m_pending.find(uid);
    if (it == m_pending.end()) {
        m_pending.insert(uid, Pending {type, std::move(row)});
        m_pendingOrder.push_back(uid);
    } else {
        it->type = type;
        it->row = std::move(row);
    }
    if (!m_batchTimer.isActive()) {
        m_batchTimer.start();
    }
}

void PodTableModel::applyPending()
{
    m_batchTimer.stop();
    if (m_pendingOrder.empty()) {
        return;
    }
    std::vector<int> removals;
    std::vector<QString> updates;
    std::vector<PodRow> additions;
    for (const QString &uid : m_pendingOrder) {
        auto it = m_pending.find(uid);
        if (it == m_pending.end()) {
            continue;
        }
        const int row = m_table.rowOf(uid);
        if (it->type == kube::WatchEventType::Deleted) {
            if (row >= 0) {
                removals.push_back(row);
            }
        } else if (row >= 0) {
            updates.push_back(uid);
        } else {
            additions.push_back(std::move(it->row));
        }
    }

    // Removals, highest rows first so the lower row numbers stay valid; contiguous rows at once.
    std::sort(removals.begin(), removals.end(), std::greater<int>());
    removals.erase(std::unique(removals.begin(), removals.end()), removals.end());
    for (std::size_t i = 0; i < removals.size();) {
        const int last = removals[i];
        int first = last;
        std::size_t j = i + 1;
        while (j < removals.size() && removals[j] == first - 1) {
            first = removals[j];
            ++j;
        }
        beginRemoveRows({}, first, last);
        for (int row = first; row <= last; ++row) {
            countOut(m_table.at(row));
        }
        m_table.removeRows(first, last);
        endRemoveRows();
        i = j;
    }

    // Changes in place: ranged dataChanged, or one for everything when most rows changed.
    std::vector<int> changed;
    changed.reserve(updates.size());
    for (const QString &uid : updates) {
        const int row = m_table.rowOf(uid);
        if (row < 0) {
            continue;
        }
        auto it = m_pending.find(uid);
        countOut(m_table.at(row));
        countIn(it->row);
        m_table.replace(row, std::move(it->row));
        changed.push_back(row);
    }
    const int lastColumn = columnCount() - 1;
    if (!changed.empty()) {
        if (changed.size() * 2 > std::size_t(m_table.size())) {
            Q_EMIT dataChanged(index(0, 0), index(m_table.size() - 1, lastColumn));
        } else {
            std::sort(changed.begin(), changed.end());
            for (std::size_t i = 0; i < changed.size();) {
                std::size_t j = i + 1;
                while (j < changed.size() && changed[j] == changed[j - 1] + 1) {
                    ++j;
                }
                Q_EMIT dataChanged(index(changed[i], 0), index(changed[j - 1], lastColumn));
                i = j;
            }
        }
    }

    if (!additions.empty()) {
        const int first = m_table.size();
        beginInsertRows({}, first, first + int(additions.size()) - 1);
        for (PodRow &row : additions) {
            countIn(row);
            m_table.append(std::move(row));
        }
        endInsertRows();
    }
    m_pending.clear();
    m_pendingOrder.clear();
    if (!removals.empty() || !additions.empty()) {
        Q_EMIT namespaceCountsChanged();
    }
    Q_EMIT batchApplied(int(additions.size()), int(removals.size()), int(changed.size()));
}

} // namespace podtap::cluster
