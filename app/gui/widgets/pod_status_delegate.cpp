// SPDX-License-Identifier: Apache-2.0
#include "widgets/pod_status_delegate.h"

#include "cluster/pod_health.h"
#include "cluster/pod_table_model.h"
#include "widgets/plain_text.h"

#include <QHash>
#include <QPainter>
#include <QPixmap>

namespace podtap::gui {

namespace {

QIcon dotIcon(const QColor &color)
{
    static QHash<QRgb, QIcon> cache;
    const auto it = cache.constFind(color.rgb());
    if (it != cache.cend())
        return *it;
    QPixmap pixmap(16, 16);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(Qt::NoPen);
    painter.setBrush(color);
    painter.drawEllipse(QRectF(4, 4, 8, 8));
    painter.end();
    const QIcon icon(pixmap);
    cache.insert(color.rgb(), icon);
    return icon;
}

} // namespace

PodStatusDelegate::PodStatusDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
{
}

PodStatusDelegate::~PodStatusDelegate() = default;

void PodStatusDelegate::initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const
{
    QStyledItemDelegate::initStyleOption(option, index);
    const QVariant healthValue = index.data(cluster::PodTableModel::HealthRole);
    if (!healthValue.isValid())
        return;
    const auto health = cluster::PodHealth(healthValue.toInt());
    const QColor color = healthColor(health);
    option->features |= QStyleOptionViewItem::HasDecoration;
    option->icon = dotIcon(color);
    option->decorationSize = QSize(16, 16);
    if (health != cluster::PodHealth::Running && !(option->state & QStyle::State_Selected))
        option->palette.setColor(QPalette::Text, color);
}

} // namespace podtap::gui
