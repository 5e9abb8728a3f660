// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "named_row_list_model.h"
#include "pod_row.h"

namespace podtap::cluster {

/// @brief Nodes (list+watch fed): name, InternalIP, kubectl STATUS and conditions, and pods per node.
class NodeListModel final : public NamedRowListModel<NodeRow>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NodeListModel)

public:
    enum Role {
        NameRole = Qt::UserRole + 1,
        UidRole,
        InternalIpRole,
        StatusRole, ///< Ready, NotReady, Unknown (+ ",SchedulingDisabled")
        ReadyRole, ///< bool: the Ready condition is True
        ConditionsRole, ///< QVariantList of QVariantMap {type, status, reason}
        RolesRole,
        VersionRole,
        CreationTimeRole, ///< qint64 ms since the epoch
        StaleRole,
    };
    Q_ENUM(Role)

    explicit NodeListModel(QObject *parent = nullptr);

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

protected:
    NodeRow parseRow(const QJsonObject &object) const override { return m_parser.node(object); }
};

} // namespace podtap::cluster
