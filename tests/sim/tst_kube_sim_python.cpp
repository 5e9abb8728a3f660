// SPDX-License-Identifier: Apache-2.0
// kube-sim conformance with Debian's python3-kubernetes client (kube_sim_client.py, kube_sim_exec.py).
#include "support/sim_process.h"

#include <QFile>
#include <QTest>

using podtap::test::ProcessResult;
using podtap::test::SimProcess;

class TestKubeSimPython : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void pythonClientListsWatchesCreatesDeletes()
    {
        const ProcessResult probe = podtap::test::run(
            {QStringLiteral("/usr/bin/python3"), QStringLiteral("-c"), QStringLiteral("import kubernetes")});
        if (!probe.ok()) {
            QSKIP("python3-kubernetes is not installed (scripts/install-deps.sh test installs it)");
        }
        SimProcess sim;
        QString error;
        QVERIFY2(sim.start({QStringLiteral("--namespaces"), QStringLiteral("2"), QStringLiteral("--nodes"),
                               QStringLiteral("3"), QStringLiteral("--pods"), QStringLiteral("30")},
                     &error),
            qPrintable(error));
        const QString script =
            qEnvironmentVariable("PODTAP_SOURCE_DIR") + QStringLiteral("/tests/sim/kube_sim_client.py");
        QVERIFY2(QFile::exists(script), qPrintable(script));
        const QStringList command = {
            QStringLiteral("/usr/bin/python3"), script, sim.kubeconfig(), QStringLiteral("30")};
        const ProcessResult result = sim.runWithEnv(command, 60000);
        QVERIFY2(result.ok(), qPrintable(result.describe(command)));
        QVERIFY2(result.out.contains("paginated list: 30 pods"), result.out.constData());
        QVERIFY(result.out.contains("watch: ADDED py-watched"));
        QVERIFY(result.out.contains("delete: py-pod is gone"));
    }

    void pythonClientExecs()
    {
        const ProcessResult probe = podtap::test::run({QStringLiteral("/usr/bin/python3"), QStringLiteral("-c"),
            QStringLiteral("import kubernetes.stream, websocket")});
        if (!probe.ok()) {
            QSKIP("python3-kubernetes is not installed (scripts/install-deps.sh test installs it)");
        }
        SimProcess sim;
        QString error;
        QVERIFY2(sim.start({QStringLiteral("--nodes"), QStringLiteral("1"), QStringLiteral("--pods"),
                               QStringLiteral("0"), QStringLiteral("--start-delay"), QStringLiteral("50")},
                     &error),
            qPrintable(error));
        const QString script =
            qEnvironmentVariable("PODTAP_SOURCE_DIR") + QStringLiteral("/tests/sim/kube_sim_exec.py");
        QVERIFY2(QFile::exists(script), qPrintable(script));
        const QStringList command = {
            QStringLiteral("/usr/bin/python3"), script, sim.kubeconfig(), QStringLiteral("pyexec")};
        const ProcessResult result = sim.runWithEnv(command, 120000);
        QVERIFY2(result.ok(), qPrintable(result.describe(command) + QLatin1Char('\n') + QString::fromUtf8(result.out)));
        // Every check printed its line (the script stops at the first failure).
        for (const char *line : {"stream v4: stdout", "stream v4: stdin write, close ends the command",
                 "stream v4: returncode 42", "raw v5: negotiated over v4", "raw v5: container not running",
                 "raw: an unsupported subprotocol gets 403", "raw v5: output paused for a slow reader"}) {
            QVERIFY2(result.out.contains(line), result.out.constData());
        }
    }
};

QTEST_GUILESS_MAIN(TestKubeSimPython)
#include "tst_kube_sim_python.moc"
