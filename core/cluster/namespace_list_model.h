// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "named_row_list_model.h"
#include "pod_row.h"

#include <QPointer>

namespace podtap::cluster {

class PodTableModel;

/// @brief Namespaces (list+watch fed), with the number of pods each holds in a PodTableModel.
class NamespaceListModel final : public NamedRowListModel<NamespaceRow>
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NamespaceListModel)

public:
    /// Besides NameRole, UidRole, CreationTimeRole and StaleRole.
    enum Role {
        PhaseRole = FirstRowRole,
        PodCountRole, ///< int; 0 without a pod model
    };
    Q_ENUM(Role)

    explicit NamespaceListModel(QObject *parent = nullptr);

    QHash<int, QByteArray> roleNames() const override;

    /// Pod counts come from @p pods (the model does not own it).
    void setPodModel(PodTableModel *pods);

protected:
    NamespaceRow parseRow(const QJsonObject &object) const override { return m_parser.namespaceRow(object); }
    QVariant rowData(const NamespaceRow &row, int role) const override;

private:
    QPointer<PodTableModel> m_pods;
};

} // namespace podtap::cluster
