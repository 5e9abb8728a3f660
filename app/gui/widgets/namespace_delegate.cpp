// SPDX-License-Identifier: Apache-2.0
#include "widgets/namespace_delegate.h"

#include "cluster/namespace_list_model.h"

#include <QPainter>

namespace podtap::gui {

NamespaceDelegate::NamespaceDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
{
}

NamespaceDelegate::~NamespaceDelegate() = default;

void NamespaceDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyledItemDelegate::paint(painter, option, index);
    const int count = index.data(cluster::NamespaceListModel::PodCountRole).toInt();
    if (count <= 0)
        return;
    painter->save();
    const bool selected = option.state & QStyle::State_Selected;
    painter->setPen(option.palette.color(selected ? QPalette::HighlightedText : QPalette::PlaceholderText));
    const QRect rect = option.rect.adjusted(0, 0, -8, 0);
    painter->drawText(rect, Qt::AlignRight | Qt::AlignVCenter, QLocale().toString(count));
    painter->restore();
}

} // namespace podtap::gui
