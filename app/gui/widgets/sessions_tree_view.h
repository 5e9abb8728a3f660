// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QTreeView>

namespace podtap::gui {

/// @brief The Sessions panel's view: one row per tap, and under a tap of several pods a child row per pod.
///
/// A tree that reads like the table it replaced: whole rows are selected, and selectRow() picks a tap by its
/// top-level row as QTableView::selectRow() did.
class SessionsTreeView final : public QTreeView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionsTreeView)

public:
    explicit SessionsTreeView(QWidget *parent = nullptr);
    ~SessionsTreeView() override;

    /// Makes top-level row @p row (in the view's model) current and selected.
    void selectRow(int row);
};

} // namespace podtap::gui
