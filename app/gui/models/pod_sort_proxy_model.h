// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "cluster/pod_table_model.h"

#include <QPointer>
#include <QSortFilterProxyModel>

namespace podtap::gui {

/// @brief The pod table in the order the operator chose, sorted on raw keys (age by creation time,
/// restarts as numbers) straight from the rows.
///
/// The lower of the console's two layers: the PodFilterProxyModel on top of it filters in this
/// order, so a keystroke in the filter never sorts 100k pods again.
class PodSortProxyModel final : public QSortFilterProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PodSortProxyModel)

public:
    explicit PodSortProxyModel(cluster::PodTableModel *pods, QObject *parent = nullptr);
    ~PodSortProxyModel() override;

    cluster::PodTableModel *pods() const { return m_pods; }

protected:
    bool lessThan(const QModelIndex &left, const QModelIndex &right) const override;

private:
    QPointer<cluster::PodTableModel> m_pods;
};

} // namespace podtap::gui
