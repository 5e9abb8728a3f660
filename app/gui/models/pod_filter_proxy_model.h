// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "cluster/pod_filter.h"
#include "cluster/pod_row.h"

#include <QPointer>
#include <QSortFilterProxyModel>

#include <vector>

namespace podtap::cluster {
class PodTableModel;
}

namespace podtap::gui {

/// @brief The pod table as the operator sees it: one namespace (or all), the filter text applied,
/// sorted on raw keys (age by creation time, restarts as numbers).
///
/// The filter is parsed once per change by cluster::PodFilter; when the source is a PodTableModel,
/// matching reads the table's packed search text (PodTable::matches), so a keystroke over many pods
/// allocates nothing and streams through memory. Any other source is read through PodTableModel's roles.
///
/// Stacked on another PodFilterProxyModel (the sort layer), this one only filters, in the order of
/// the layer below, and sort() is passed down: a keystroke then never sorts 100k rows again.
class PodFilterProxyModel final : public QSortFilterProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PodFilterProxyModel)

public:
    explicit PodFilterProxyModel(QObject *parent = nullptr);
    ~PodFilterProxyModel() override;

    void setSourceModel(QAbstractItemModel *model) override;

    /// Only pods of @p namespaceName; empty: every namespace.
    void setNamespace(const QString &namespaceName);
    QString namespaceName() const { return m_namespace; }

    /// Filter words (AND): `name-part`, `label=value`, `label!=value`, `label=`, `node:NAME`.
    void setFilterText(const QString &text);
    QString filterText() const { return m_filterText; }
    const cluster::PodFilter &filter() const { return m_filter; }

    /// This proxy's index of the pod in row @p podRow of the PodTableModel (through a sort layer).
    QModelIndex indexOfPod(int podRow) const;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    void invalidateWholeFilter();
    /// Whether any pod (of the chosen namespace) is shown by one filter and not the other.
    bool acceptsDifferently(const cluster::PodFilter &before, const cluster::PodFilter &after) const;

    int podRow(int sourceRow) const;

    QPointer<cluster::PodTableModel> m_pods;
    QPointer<PodFilterProxyModel> m_sortLayer;
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
