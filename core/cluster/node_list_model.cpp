// SPDX-License-Identifier: Apache-2.0
#include "node_list_model.h"

namespace podtap::cluster {

NodeListModel::NodeListModel(QObject *parent)
    : NamedRowListModel(parent)
{
}

QVariant NodeListModel::rowData(const NodeRow &row, int role) const
{
    switch (role) {
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
    default:
        return {};
    }
}

QHash<int, QByteArray> NodeListModel::roleNames() const
{
    QHash<int, QByteArray> names = NamedRowListModel::roleNames();
    names.insert(InternalIpRole, "internalIp");
    names.insert(StatusRole, "status");
    names.insert(ReadyRole, "ready");
    names.insert(ConditionsRole, "conditions");
    names.insert(RolesRole, "roles");
    names.insert(VersionRole, "version");
    return names;
}

} // namespace podtap::cluster
