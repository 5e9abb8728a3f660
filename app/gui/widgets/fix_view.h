// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QPushButton;

namespace podtap::gui {

/// @brief Shows what went wrong and what to do about it, with the fix in copyable text.
class FixView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FixView)

public:
    explicit FixView(QWidget *parent = nullptr);
    ~FixView() override;

    void setProblem(const QString &summary, const QString &fix);
    QString summary() const;
    QString fix() const;

private:
    QLabel *m_summary = nullptr;
    QPlainTextEdit *m_fix = nullptr;
    QPushButton *m_copy = nullptr;
};

} // namespace podtap::gui
