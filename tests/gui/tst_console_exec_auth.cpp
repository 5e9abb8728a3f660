// SPDX-License-Identifier: Apache-2.0
// The console connects through the same path as podtapctl: a kubeconfig user that is an exec
// credential plugin (as EKS, GKE, AKS and OIDC kubeconfigs are) lists pods, a 401 runs the plugin
// again exactly once, and a slow plugin never freezes the window.
#include "cluster/pod_table_model.h"
#include "kube/exec_plugin_fixture.h"
#include "main_window.h"

#include <QApplication>
#include <QFileInfo>
#include <QLabel>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using podtap::gui::MainWindow;
using podtap::gui::MainWindowOptions;
using podtap::test::execPluginKubeconfig;
using podtap::test::lineCount;
using podtap::test::printCredential;

namespace {

MainWindowOptions optionsFor(const QString &kubeconfig)
{
    MainWindowOptions options;
    options.kubeconfig.explicitPath = kubeconfig;
    return options;
}

} // namespace

/// @brief The console authenticates with exec credential plugins, asynchronously, as podtapctl does.
class TestConsoleExecAuth final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void init() { QSettings().clear(); }

    void execPluginUserListsPods()
    {
        podtap::test::SimFixture sim(
            {QStringLiteral("--auth"), QStringLiteral("token"), QStringLiteral("--namespaces"), QStringLiteral("1"),
                QStringLiteral("--pods"), QStringLiteral("4"), QStringLiteral("--nodes"), QStringLiteral("1")});
        PODTAP_REQUIRE_SIM(sim);
        QTemporaryDir dir;
        const QString kubeconfig = execPluginKubeconfig(sim, dir, printCredential("$GOOD"));
        QVERIFY2(!kubeconfig.isEmpty(), "could not turn the sim's kubeconfig into an exec-plugin one");
        MainWindow window(optionsFor(kubeconfig));
        window.show();
        QTRY_COMPARE_WITH_TIMEOUT(window.podModel()->rowCount(), 4, 20000);
        auto *state = window.findChild<QLabel *>(QStringLiteral("connectionState"));
        QVERIFY(state);
        QTRY_VERIFY_WITH_TIMEOUT(state->text().startsWith(QStringLiteral("Connected")), 10000);
        // One run serves every request of the connection (version, three lists and watches).
        QCOMPARE(lineCount(dir.filePath(QStringLiteral("runs.log"))), 1);
    }

    void unauthorizedRunsThePluginAgainExactlyOnce()
    {
        podtap::test::SimFixture sim(
            {QStringLiteral("--auth"), QStringLiteral("token"), QStringLiteral("--namespaces"), QStringLiteral("1"),
                QStringLiteral("--pods"), QStringLiteral("3"), QStringLiteral("--nodes"), QStringLiteral("1")});
        PODTAP_REQUIRE_SIM(sim);
        QTemporaryDir dir;
        // The first run hands out a token the server refuses (as a revoked cached one would be).
        const QString kubeconfig = execPluginKubeconfig(sim, dir,
            "if [ \"$(wc -l < \"$DIR/runs.log\")\" -le 1 ]; then TOKEN=revoked; else TOKEN=\"$GOOD\"; fi\n" +
                printCredential("$TOKEN"));
        QVERIFY(!kubeconfig.isEmpty());
        MainWindow window(optionsFor(kubeconfig));
        window.show();
        QTRY_COMPARE_WITH_TIMEOUT(window.podModel()->rowCount(), 3, 20000);
        // Several requests were refused at once; together they ran the plugin a second time, once.
        QCOMPARE(lineCount(dir.filePath(QStringLiteral("runs.log"))), 2);
    }

    void slowPluginLeavesTheWindowResponsive()
    {
        podtap::test::SimFixture sim(
            {QStringLiteral("--auth"), QStringLiteral("token"), QStringLiteral("--namespaces"), QStringLiteral("1"),
                QStringLiteral("--pods"), QStringLiteral("2"), QStringLiteral("--nodes"), QStringLiteral("1")});
        PODTAP_REQUIRE_SIM(sim);
        QTemporaryDir dir;
        const QString done = dir.filePath(QStringLiteral("done"));
        // A browser login takes a while; the plugin marks when it is finished.
        const QString kubeconfig =
            execPluginKubeconfig(sim, dir, "sleep 3\ntouch \"$DIR/done\"\n" + printCredential("$GOOD"));
        QVERIFY(!kubeconfig.isEmpty());
        const QString runs = dir.filePath(QStringLiteral("runs.log"));

        // Counts the GUI thread's timer ticks seen while the plugin is known to be running.
        int ticksWhilePluginRuns = 0;
        QTimer ticker;
        ticker.setInterval(20);
        connect(&ticker, &QTimer::timeout, this, [&] {
            if (QFileInfo::exists(runs) && !QFileInfo::exists(done))
                ++ticksWhilePluginRuns;
        });
        ticker.start();
        MainWindow window(optionsFor(kubeconfig));
        window.show();
        QTRY_COMPARE_WITH_TIMEOUT(window.podModel()->rowCount(), 2, 30000);
        QVERIFY(QFileInfo::exists(done));
        QVERIFY2(ticksWhilePluginRuns >= 3,
            qPrintable(QStringLiteral("the GUI thread processed %1 timer events while the plugin ran")
                           .arg(ticksWhilePluginRuns)));
    }
};

QTEST_MAIN(TestConsoleExecAuth)
#include "tst_console_exec_auth.moc"
