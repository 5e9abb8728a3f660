// SPDX-License-Identifier: Apache-2.0
#include "widgets/sessions_tree_view.h"

#include <QItemSelectionModel>

namespace podtap::gui {

SessionsTreeView::SessionsTreeView(QWidget *parent)
    : QTreeView(parent)
{
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setAllColumnsShowFocus(true);
    setUniformRowHeights(true);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
}

SessionsTreeView::~SessionsTreeView() = default;

void SessionsTreeView::selectRow(int row)
{
    if (!model() || !selectionModel())
        return;
    const QModelIndex index = model()->index(row, 0);
    if (index.isValid())
        selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

} // namespace podtap::gui
