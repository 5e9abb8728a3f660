// SPDX-License-Identifier: Apache-2.0
#include "namespace_list_model.h"

#include "pod_table_model.h"

namespace podtap::cluster {

NamespaceListModel::NamespaceListModel(QObject *parent)
    : NamedRowListModel(parent)
{
}

QVariant NamespaceListModel::rowData(const NamespaceRow &row, int role) const
{
    switch (role) {
    case PhaseRole:
        return row.phase;
    case PodCountRole:
        return m_pods ? m_pods->podCount(row.name) : 0;
    default:
        return {};
    }
}

QHash<int, QByteArray> NamespaceListModel::roleNames() const
{
    QHash<int, QByteArray> names = NamedRowListModel::roleNames();
    names.insert(PhaseRole, "phase");
    names.insert(PodCountRole, "podCount");
    return names;
}

void NamespaceListModel::setPodModel(PodTableModel *pods)
{
    if (m_pods) {
        m_pods->disconnect(this);
    }
    m_pods = pods;
    if (pods) {
        connect(pods, &PodTableModel::namespaceCountsChanged, this, [this] {
            if (rowCount() > 0) {
                Q_EMIT dataChanged(index(0), index(rowCount() - 1), {PodCountRole});
            }
        });
    }
}

} // namespace podtap::cluster
