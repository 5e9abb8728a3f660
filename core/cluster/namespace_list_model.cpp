// SPDX-License-Identifier: Apache-2.0
#include "namespace_list_model.h"

#include "pod_table_model.h"

namespace podtap::cluster {

NamespaceListModel::NamespaceListModel(QObject *parent)
    : NamedRowListModel(parent)
{
}

QVariant NamespaceListModel::data(const QModelIndex &index, int role) const
{
    const NamespaceRow *row = rowAt(index);
    if (!row) {
        return {};
    }
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return row->name;
    case UidRole:
        return row->uid;
    case PhaseRole:
        return row->phase;
    case CreationTimeRole:
        return row->creationMs;
    case PodCountRole:
        return m_pods ? m_pods->podCount(row->name) : 0;
    case StaleRole:
        return isStale();
    default:
        return {};
    }
}

QHash<int, QByteArray> NamespaceListModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(NameRole, "name");
    names.insert(UidRole, "uid");
    names.insert(PhaseRole, "phase");
    names.insert(CreationTimeRole, "creationTime");
    names.insert(PodCountRole, "podCount");
    names.insert(StaleRole, "stale");
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
