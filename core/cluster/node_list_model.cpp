// SPDX-License-Identifier: Apache-2.0
#include "node_list_model.h"

#include <QJsonArray>

namespace podtap::cluster {

NodeListModel::NodeListModel(QObject *parent)
    : QAbstractListModel(parent)
{
}

int NodeListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant NodeListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const NodeRow &row = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return row.name;
    case UidRole:
        return row.uid;
    case InternalIpRole:
        return row.internalIp;
    case StatusRole:
        return row.status();
    case ReadyRole:
        return row.status().startsWith(QLatin1String("Ready"));
    case ConditionsRole: {
        QVariantList conditions;
        for (const NodeCondition &condition : row.conditions) {
            conditions << QVariantMap {{QStringLiteral("type"), condition.type},
                {QStringLiteral("status"), condition.status}, {QStringLiteral("reason"), condition.reason}};
        }
        return conditions;
    }
    case RolesRole:
        return row.roles;
    case VersionRole:
        return row.kubeletVersion;
    case CreationTimeRole:
        return row.creationMs;
    case StaleRole:
        return m_stale;
    default:
        return {};
    }
}

QHash<int, QByteArray> NodeListModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(NameRole, "name");
    names.insert(UidRole, "uid");
    names.insert(InternalIpRole, "internalIp");
    names.insert(StatusRole, "status");
    names.insert(ReadyRole, "ready");
    names.insert(ConditionsRole, "conditions");
    names.insert(RolesRole, "roles");
    names.insert(VersionRole, "version");
    names.insert(CreationTimeRole, "creationTime");
    names.insert(StaleRole, "stale");
    return names;
}

void NodeListModel::connectTo(kube::ListWatch *listWatch)
{
    connect(listWatch, &kube::ListWatch::relistStarted, this, &NodeListModel::beginRelist);
    connect(listWatch, &kube::ListWatch::pageReceived, this, &NodeListModel::addListPage);
    connect(listWatch, &kube::ListWatch::relistFinished, this, &NodeListModel::endRelist);
    connect(listWatch, &kube::ListWatch::eventReceived, this, &NodeListModel::applyEvent);
    connect(listWatch, &kube::ListWatch::staleChanged, this, &NodeListModel::setStale);
}

void NodeListModel::setStale(bool stale)
{
    if (m_stale != stale) {
        m_stale = stale;
        Q_EMIT staleChanged(stale);
    }
}

void NodeListModel::reindex()
{
    m_index.clear();
    for (int row = 0; row < m_rows.size(); ++row) {
        m_index.insert(m_rows[row].name, row);
    }
}

void NodeListModel::beginRelist()
{
    m_building.clear();
}

void NodeListModel::addListPage(const QJsonArray &items)
{
    for (const QJsonValue &value : items) {
        NodeRow row = m_parser.node(value.toObject());
        if (!row.name.isEmpty()) {
            m_building.append(std::move(row));
        }
    }
}

void NodeListModel::endRelist()
{
    beginResetModel();
    m_rows = std::move(m_building);
    m_building.clear();
    std::sort(m_rows.begin(), m_rows.end(), [](const NodeRow &a, const NodeRow &b) { return a.name < b.name; });
    reindex();
    endResetModel();
}

void NodeListModel::applyEvent(kube::WatchEventType type, const QJsonObject &object)
{
    NodeRow row = m_parser.node(object);
    if (row.name.isEmpty()) {
        return;
    }
    const int existing = rowOf(row.name);
    if (type == kube::WatchEventType::Deleted) {
        if (existing >= 0) {
            beginRemoveRows({}, existing, existing);
            m_rows.removeAt(existing);
            reindex();
            endRemoveRows();
        }
        return;
    }
    if (existing >= 0) {
        m_rows[existing] = std::move(row);
        Q_EMIT dataChanged(index(existing), index(existing));
        return;
    }
    // Keep names sorted: namespaces are few, an insertion is cheap.
    const auto at = std::lower_bound(
        m_rows.begin(), m_rows.end(), row.name, [](const NodeRow &a, const QString &name) { return a.name < name; });
    const int position = int(at - m_rows.begin());
    beginInsertRows({}, position, position);
    m_rows.insert(position, std::move(row));
    reindex();
    endInsertRows();
}

} // namespace podtap::cluster
