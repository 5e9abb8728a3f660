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
    enum Role {
        NameRole = Qt::UserRole + 1,
        UidRole,
        PhaseRole,
        CreationTimeRole, ///< qint64 ms since the epoch
        PodCountRole, ///< int; 0 without a pod model
        StaleRole,
    };
    Q_ENUM(Role)

    explicit NamespaceListModel(QObject *parent = nullptr);

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    /// Pod counts come from @p pods (the model does not own it).
    void setPodModel(PodTableModel *pods);

protected:
    NamespaceRow parseRow(const QJsonObject &object) const override { return m_parser.namespaceRow(object); }

private:
    QPointer<PodTableModel> m_pods;
};

} // namespace podtap::cluster
