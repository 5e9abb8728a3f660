// SPDX-License-Identifier: Apache-2.0
#include "main_window.h"

#include <QStatusBar>
#include <QTest>

/// @brief The console's main window opens, is titled and shows its version.
class TestMainWindow final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void opensWithTitleAndVersion()
    {
        podtap::gui::MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(window.windowTitle(), QStringLiteral("podtap"));
        QVERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("podtap 0.")));
        QVERIFY(!window.windowIcon().isNull());
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
