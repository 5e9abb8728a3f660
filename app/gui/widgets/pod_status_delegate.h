// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QStyledItemDelegate>

namespace podtap::gui {

/// @brief Draws a pod's STATUS with the colour the core's health mapping gives it.
///
/// The colour is the pod health's (PodTableModel::HealthRole) from core's one mapping: a filled dot
/// before the text, and the text itself in that colour for anything but a healthy pod.
class PodStatusDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PodStatusDelegate)

public:
    explicit PodStatusDelegate(QObject *parent = nullptr);
    ~PodStatusDelegate() override;

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override;
};

} // namespace podtap::gui
