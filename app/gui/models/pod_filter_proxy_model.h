// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "cluster/pod_filter.h"
#include "cluster/pod_table_model.h"

#include <QPointer>
#include <QSortFilterProxyModel>

#include <vector>

namespace podtap::gui {

class PodSortProxyModel;

/// @brief The pod table as the operator sees it: one namespace (or all) and the filter text
/// applied, in the order of the PodSortProxyModel below it.
///
/// The filter is parsed once per change by cluster::PodFilter, and matching reads the table's
/// packed search text (PodTable::matches), so a keystroke over many pods allocates nothing and
/// streams through memory. This layer never sorts: sort() is passed to the sort layer, so a
/// keystroke never sorts 100k rows again.
class PodFilterProxyModel final : public QSortFilterProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PodFilterProxyModel)

public:
    /// Filters @p sorted (which must outlive this proxy, as a source model does).
    explicit PodFilterProxyModel(PodSortProxyModel *sorted, QObject *parent = nullptr);
    ~PodFilterProxyModel() override;

    /// Only pods of @p namespaceName; empty: every namespace.
    void setNamespace(const QString &namespaceName);
    QString namespaceName() const { return m_namespace; }

    /// Filter words (AND): `name-part`, `label=value`, `label!=value`, `label=`, `node:NAME`.
    void setFilterText(const QString &text);
    QString filterText() const { return m_filterText; }
    const cluster::PodFilter &filter() const { return m_filter; }

    /// This proxy's index of the pod in row @p podRow of the PodTableModel.
    QModelIndex indexOfPod(int podRow) const;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    void invalidateWholeFilter();
    /// Whether any pod (of the chosen namespace) is shown by one filter and not the other.
    bool acceptsDifferently(const cluster::PodFilter &before, const cluster::PodFilter &after) const;

    int podRow(int sourceRow) const;

    QPointer<PodSortProxyModel> m_sortLayer;
    QPointer<cluster::PodTableModel> m_pods;
    /// The sort layer's row → PodTableModel row, built for a whole filter pass and dropped when
    /// the sort layer changes (asking the layer row by row costs more than the filter itself).
    std::vector<int> m_podRows;
    QString m_namespace;
    QString m_filterText;
    cluster::PodFilter m_filter;
    /// m_namespace's id in the table's search index, while the index keeps m_namespaceEpoch.
    mutable int m_namespaceId = -1;
    mutable std::uint64_t m_namespaceEpoch = 0;
};

} // namespace podtap::gui
