// SPDX-License-Identifier: Apache-2.0
#include "widgets/fix_view.h"

#include <QApplication>
#include <QClipboard>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace podtap::gui {

FixView::FixView(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("fixView"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("fixSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_summary);

    auto *row = new QHBoxLayout;
    m_fix = new QPlainTextEdit(this);
    m_fix->setObjectName(QStringLiteral("fixText"));
    m_fix->setReadOnly(true);
    m_fix->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_fix->setMaximumHeight(m_fix->fontMetrics().lineSpacing() * 7);
    row->addWidget(m_fix, 1);
    m_copy = new QPushButton(tr("&Copy fix"), this);
    m_copy->setObjectName(QStringLiteral("copyFix"));
    row->addWidget(m_copy, 0, Qt::AlignTop);
    layout->addLayout(row);
    connect(m_copy, &QPushButton::clicked, this, [this] { QApplication::clipboard()->setText(m_fix->toPlainText()); });
}

FixView::~FixView() = default;

void FixView::setProblem(const QString &summary, const QString &fix)
{
    m_summary->setText(QStringLiteral("<b>%1</b>").arg(summary.toHtmlEscaped()));
    m_fix->setPlainText(fix);
    m_fix->setVisible(!fix.isEmpty());
    m_copy->setVisible(!fix.isEmpty());
}

QString FixView::summary() const
{
    return m_summary->text();
}

QString FixView::fix() const
{
    return m_fix->toPlainText();
}

} // namespace podtap::gui
