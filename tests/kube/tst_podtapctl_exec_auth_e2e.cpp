// SPDX-License-Identifier: Apache-2.0
// podtapctl with an exec credential plugin user: the plugin now runs off the event loop's thread,
// and the command still waits for it, lists, and re-runs it once on a 401.
#include "exec_plugin_fixture.h"
#include "support/process.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using podtap::test::builtExecutable;
using podtap::test::SimFixture;

/// @brief `podtapctl get pods` authenticates through an exec credential plugin.
class TestPodtapctlExecAuthE2e final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void getPodsRunsThePluginAndRetriesOnceAfter401()
    {
        SimFixture sim(
            {QStringLiteral("--auth"), QStringLiteral("token"), QStringLiteral("--namespaces"), QStringLiteral("1"),
                QStringLiteral("--pods"), QStringLiteral("3"), QStringLiteral("--nodes"), QStringLiteral("1")});
        PODTAP_REQUIRE_SIM(sim);
        QTemporaryDir dir;
        const QString kubeconfig = podtap::test::execPluginKubeconfig(sim, dir,
            "if [ \"$(wc -l < \"$DIR/runs.log\")\" -le 1 ]; then TOKEN=revoked; else TOKEN=\"$GOOD\"; fi\n" +
                podtap::test::printCredential("$TOKEN"));
        QVERIFY(!kubeconfig.isEmpty());
        const podtap::test::ProcessResult result =
            podtap::test::run({builtExecutable(QStringLiteral("app/cli/podtapctl")), QStringLiteral("--kubeconfig"),
                kubeconfig, QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-A")});
        QVERIFY2(result.ok(), qPrintable(result.describe({QStringLiteral("podtapctl get pods -A")})));
        // Every pod the server has (as its own token sees them), under the header line.
        std::unique_ptr<podtap::kube::KubeClient> direct = sim.client();
        QVERIFY(direct);
        podtap::kube::KubeReply *pods =
            podtap::test::waitFor(direct->get(podtap::kube::KubeClient::corePath(QStringLiteral("pods"))));
        QVERIFY(pods->ok());
        const int expected = int(pods->json().value(QLatin1String("items")).toArray().size());
        QVERIFY(expected >= 3);
        QCOMPARE(int(result.out.trimmed().count('\n')), expected);
        QCOMPARE(podtap::test::lineCount(dir.filePath(QStringLiteral("runs.log"))), 2);
    }
};

QTEST_GUILESS_MAIN(TestPodtapctlExecAuthE2e)
#include "tst_podtapctl_exec_auth_e2e.moc"
