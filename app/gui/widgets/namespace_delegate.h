// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QStyledItemDelegate>

namespace podtap::gui {

/// @brief A namespace name with its pod count right-aligned and muted, as in a mail folder list.
class NamespaceDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NamespaceDelegate)

public:
    explicit NamespaceDelegate(QObject *parent = nullptr);
    ~NamespaceDelegate() override;

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace podtap::gui
