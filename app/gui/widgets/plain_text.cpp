// SPDX-License-Identifier: Apache-2.0
#include "widgets/plain_text.h"

#include <QLabel>
#include <QTextDocument>

namespace podtap::gui {

QLabel *plainLabel(QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setTextFormat(Qt::PlainText);
    return label;
}

QString plainToolTip(const QString &text)
{
    if (text.isEmpty())
        return {};
    // convertFromPlainText escapes and wraps in <p>, so the result is always rich text and always literal.
    return Qt::convertFromPlainText(text, Qt::WhiteSpacePre);
}

QColor healthColor(cluster::PodHealth health)
{
    return QColor::fromRgb(cluster::podHealthStyle(health).rgb);
}

} // namespace podtap::gui
