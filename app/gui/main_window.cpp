// SPDX-License-Identifier: Apache-2.0
#include "main_window.h"

#include "podtap/version.h"

#include <QLabel>
#include <QStatusBar>

namespace podtap::gui {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
{
    setObjectName(QStringLiteral("podtapMainWindow"));
    setWindowTitle(QStringLiteral("podtap"));
    setWindowIcon(QIcon(QStringLiteral(":/podtap/icons/podtap.svg")));
    auto *placeholder = new QLabel(tr("No cluster connected yet."), this);
    placeholder->setAlignment(Qt::AlignCenter);
    setCentralWidget(placeholder);
    statusBar()->showMessage(tr("podtap %1").arg(QLatin1String(kVersion)));
    resize(1100, 700);
}

MainWindow::~MainWindow() = default;

} // namespace podtap::gui
