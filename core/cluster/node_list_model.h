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
    /// Besides NameRole, UidRole, CreationTimeRole and StaleRole.
    enum Role {
        InternalIpRole = FirstRowRole,
        StatusRole, ///< Ready, NotReady, Unknown (+ ",SchedulingDisabled")
        ReadyRole, ///< bool: the Ready condition is True
        ConditionsRole, ///< QVariantList of QVariantMap {type, status, reason}
        RolesRole,
        VersionRole,
    };
    Q_ENUM(Role)

    explicit NodeListModel(QObject *parent = nullptr);

    QHash<int, QByteArray> roleNames() const override;

protected:
    NodeRow parseRow(const QJsonObject &object) const override { return m_parser.node(object); }
    QVariant rowData(const NodeRow &row, int role) const override;
};

} // namespace podtap::cluster
