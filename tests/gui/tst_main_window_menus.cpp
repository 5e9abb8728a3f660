// SPDX-License-Identifier: Apache-2.0
#include "cluster/pod_table_model.h"
#include "main_window.h"
#include "podtap/version.h"

#include <QAction>
#include <QDockWidget>
#include <QHeaderView>
#include <QMenu>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QSettings>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using podtap::cluster::PodRow;
using podtap::cluster::PodTableModel;
using podtap::gui::MainWindow;
using podtap::gui::MainWindowOptions;

/// @brief The window has the menus a desktop tool is expected to have, and its pod table shows every column.
class TestMainWindowMenus final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    MainWindowOptions noCluster() const
    {
        MainWindowOptions options;
        options.kubeconfig.explicitPath = m_dir.filePath(QStringLiteral("missing"));
        options.kubeconfig.allowInCluster = false;
        return options;
    }

    static QMenu *menu(MainWindow &window, const QString &title)
    {
        for (QAction *action : window.menuBar()->actions()) {
            if (action->menu() && action->text().remove(QLatin1Char('&')) == title)
                return action->menu();
        }
        return nullptr;
    }

    static QAction *action(QMenu *menu, const char *name)
    {
        if (!menu)
            return nullptr;
        for (QAction *action : menu->actions()) {
            if (action->objectName() == QLatin1String(name))
                return action;
        }
        return nullptr;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
    }

    void init() { QSettings().clear(); }

    void menusHoldTheirActionsWithShortcuts()
    {
        MainWindow window(noCluster());
        QStringList titles;
        for (QAction *action : window.menuBar()->actions())
            titles << action->text().remove(QLatin1Char('&'));
        QCOMPARE(titles,
            (QStringList {QStringLiteral("File"), QStringLiteral("View"), QStringLiteral("Tap"),
                QStringLiteral("Tools"), QStringLiteral("Help")}));

        struct Expected
        {
            const char *menu;
            const char *action;
            QKeySequence key;
        };
        const QList<Expected> expected {
            {"File", "actionSaveCaptureOutput", QKeySequence(Qt::CTRL | Qt::Key_S)},
            {"File", "actionQuit", QKeySequence(Qt::CTRL | Qt::Key_Q)},
            {"View", "actionContext", QKeySequence(Qt::CTRL | Qt::Key_K)},
            {"View", "actionNamespace", QKeySequence(Qt::CTRL | Qt::Key_N)},
            {"View", "actionFilter", QKeySequence(Qt::CTRL | Qt::Key_F)},
            {"View", "actionShowSessions", QKeySequence(Qt::Key_F9)},
            {"View", "actionShowDetails", QKeySequence(Qt::Key_F8)},
            {"Tap", "actionTapPod", QKeySequence(Qt::CTRL | Qt::Key_T)},
            {"Tap", "actionStopSession", QKeySequence(Qt::CTRL | Qt::Key_W)},
            {"Tools", "actionSweepLeftovers", QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L)},
            {"Help", "actionDocumentation", QKeySequence(Qt::Key_F1)},
            {"Help", "actionAbout", QKeySequence()},
        };
        for (const Expected &entry : expected) {
            QAction *found = action(menu(window, QLatin1String(entry.menu)), entry.action);
            QVERIFY2(found, entry.action);
            QCOMPARE(found->shortcut(), entry.key);
        }
    }

    void viewTogglesThePanels()
    {
        MainWindow window(noCluster());
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        auto *dock = window.findChild<QDockWidget *>(QStringLiteral("sessionsDock"));
        auto *details = window.findChild<QWidget *>(QStringLiteral("podDetailsPanel"));
        QVERIFY(dock && details);
        QVERIFY(dock->isVisible() && details->isVisible());
        QTest::keyClick(&window, Qt::Key_F9);
        QVERIFY(!dock->isVisible());
        QTest::keyClick(&window, Qt::Key_F8);
        QVERIFY(!details->isVisible());
        action(menu(window, QStringLiteral("View")), "actionShowSessions")->trigger();
        QVERIFY(dock->isVisible());
        action(menu(window, QStringLiteral("View")), "actionShowDetails")->trigger();
        QVERIFY(details->isVisible());
    }

    void quitClosesTheWindow()
    {
        MainWindow window(noCluster());
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        QTest::keySequence(&window, QKeySequence(Qt::CTRL | Qt::Key_Q));
        QVERIFY(!window.isVisible()); // no tap is running, so nothing to confirm
    }

    void aboutNamesTheVersionsAndTheDocs()
    {
        MainWindow window(noCluster());
        const QString about = window.aboutText();
        QVERIFY2(about.contains(QStringLiteral("podtap %1").arg(QLatin1String(podtap::kVersion))), qPrintable(about));
        QVERIFY2(about.contains(QStringLiteral("Qt %1").arg(QLatin1String(qVersion()))), qPrintable(about));
        QVERIFY2(about.contains(QStringLiteral("Kubernetes API server: not connected")), qPrintable(about));
        QVERIFY2(
            about.contains(QStringLiteral("href=\"%1\"").arg(QLatin1String(podtap::kHomepageUrl))), qPrintable(about));
        QVERIFY(QUrl(QLatin1String(podtap::kHomepageUrl)).scheme() == QLatin1String("https"));
    }

    void saveWritesTheTsharkOutput()
    {
        MainWindow window(noCluster());
        QAction *save = action(menu(window, QStringLiteral("File")), "actionSaveCaptureOutput");
        QVERIFY(save);
        QVERIFY(!save->isEnabled()); // nothing printed yet
        auto *output = window.findChild<QPlainTextEdit *>(QStringLiteral("tsharkOutput"));
        QVERIFY(output);
        output->appendPlainText(QStringLiteral("1 0.000000 192.0.2.7 → 198.51.100.4 ICMP Echo (ping) request"));
        output->appendPlainText(QStringLiteral("2 0.000120 198.51.100.4 → 192.0.2.7 ICMP Echo (ping) reply"));
        QVERIFY(save->isEnabled());
        const QString path = m_dir.filePath(QStringLiteral("out.txt"));
        QCOMPARE(window.saveCaptureOutput(path), QString());
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(QString::fromUtf8(file.readAll()), output->toPlainText() + QLatin1Char('\n'));
        QVERIFY(window.saveCaptureOutput(m_dir.filePath(QStringLiteral("no/such/dir/out.txt")))
                    .startsWith(QStringLiteral("Cannot write")));
    }

    void ipAndNodeAreVisibleAt1280()
    {
        MainWindow window(noCluster());
        window.resize(1280, 780);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        PodRow row;
        row.uid = QStringLiteral("u1");
        row.namespaceName = QStringLiteral("payments");
        row.name = QStringLiteral("checkout-7d9f8b6c5d-x2k4p");
        row.status = QStringLiteral("CrashLoopBackOff");
        row.podIp = QStringLiteral("203.0.113.254");
        row.nodeName = QStringLiteral("node-001");
        row.totalContainers = 2;
        row.restarts = 12;
        window.podModel()->queueRow(podtap::kube::WatchEventType::Added, row);
        window.podModel()->applyPending();
        QCoreApplication::processEvents();

        for (const bool allNamespaces : {true, false}) {
            window.selectNamespace(allNamespaces ? QString() : QStringLiteral("payments"));
            QCoreApplication::processEvents();
            QTableView *view = window.podView();
            QHeaderView *header = view->horizontalHeader();
            const int viewportWidth = view->viewport()->width();
            for (int column = 0; column < window.podModel()->columnCount(); ++column) {
                const auto kind = window.podModel()->columnAt(column);
                const int left = header->sectionViewportPosition(column);
                const int right = left + header->sectionSize(column);
                if (kind == PodTableModel::IpColumn || kind == PodTableModel::NodeColumn) {
                    QVERIFY2(left >= 0 && right <= viewportWidth,
                        qPrintable(QStringLiteral("%1 column at %2..%3, viewport %4 wide (all namespaces: %5)")
                                       .arg(window.podModel()->headerData(column, Qt::Horizontal).toString())
                                       .arg(left)
                                       .arg(right)
                                       .arg(viewportWidth)
                                       .arg(allNamespaces)));
                }
                // Every header text fits its section.
                const QString title = window.podModel()->headerData(column, Qt::Horizontal).toString();
                QVERIFY2(
                    header->sectionSize(column) > header->fontMetrics().horizontalAdvance(title), qPrintable(title));
            }
            // A restart count with its age (kubectl's "20 (3m39s ago)") fits too.
            int restartsColumn = -1;
            for (int column = 0; column < window.podModel()->columnCount(); ++column) {
                if (window.podModel()->columnAt(column) == PodTableModel::RestartsColumn)
                    restartsColumn = column;
            }
            QVERIFY(header->sectionSize(restartsColumn) >
                view->fontMetrics().horizontalAdvance(QStringLiteral("20 (3m39s ago)")) + 8);
            // The IP itself fits its cell.
            int ipColumn = -1;
            for (int column = 0; column < window.podModel()->columnCount(); ++column) {
                if (window.podModel()->columnAt(column) == PodTableModel::IpColumn)
                    ipColumn = column;
            }
            QVERIFY(header->sectionSize(ipColumn) > view->fontMetrics().horizontalAdvance(row.podIp));
        }
    }
};

QTEST_MAIN(TestMainWindowMenus)
#include "tst_main_window_menus.moc"
