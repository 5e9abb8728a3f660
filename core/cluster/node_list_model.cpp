// SPDX-License-Identifier: Apache-2.0
#include "node_list_model.h"

namespace podtap::cluster {

NodeListModel::NodeListModel(QObject *parent)
    : NamedRowListModel(parent)
{
}

QVariant NodeListModel::data(const QModelIndex &index, int role) const
{
    const NodeRow *row = rowAt(index);
    if (!row) {
        return {};
    }
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return row->name;
    case UidRole:
        return row->uid;
    case InternalIpRole:
        return row->internalIp;
    case StatusRole:
        return row->status();
    case ReadyRole:
        return row->status().startsWith(QLatin1String("Ready"));
    case ConditionsRole: {
        QVariantList conditions;
        for (const NodeCondition &condition : row->conditions) {
            conditions << QVariantMap {{QStringLiteral("type"), condition.type},
                {QStringLiteral("status"), condition.status}, {QStringLiteral("reason"), condition.reason}};
        }
        return conditions;
    }
    case RolesRole:
        return row->roles;
    case VersionRole:
        return row->kubeletVersion;
    case CreationTimeRole:
        return row->creationMs;
    case StaleRole:
        return isStale();
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

} // namespace podtap::cluster
