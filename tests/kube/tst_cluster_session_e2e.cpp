// SPDX-License-Identifier: Apache-2.0
// kube::ClusterSession on kube-sim: one state (connecting, synced, stale, error with its fix) for
// whatever face shows a cluster connection.
#include "exec_plugin_fixture.h"
#include "kube/cluster_session.h"
#include "kube/list_watch.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap::kube;
using podtap::test::SimFixture;

namespace {

Kubeconfig load(const QString &path)
{
    KubeconfigLoadOptions options;
    options.explicitPath = path;
    return Kubeconfig::load(options);
}

} // namespace

/// @brief ClusterSession connects a context and sums its client and watches up in one state.
class TestClusterSessionE2e final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void connectsListsAndReportsSynced()
    {
        SimFixture sim({QStringLiteral("--namespaces"), QStringLiteral("2"), QStringLiteral("--pods"),
            QStringLiteral("6"), QStringLiteral("--nodes"), QStringLiteral("2")});
        PODTAP_REQUIRE_SIM(sim);
        ClusterSession session(load(sim.kubeconfig()), QStringLiteral("kube-sim"));
        QVERIFY(!session.isUnusable());
        QCOMPARE(session.state(), ClusterSession::State::Connecting);
        QSignalSpy version(&session, &ClusterSession::serverVersionKnown);
        QSignalSpy pages(&session, &ClusterSession::stateChanged);
        session.start();
        QVERIFY(session.podWatch() && session.namespaceWatch() && session.nodeWatch());
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), ClusterSession::State::Synced, 15000);
        QTRY_COMPARE_WITH_TIMEOUT(version.count(), 1, 15000);
        QCOMPARE(session.serverVersion(), QStringLiteral("v1.31.4"));
        QVERIFY(session.errorText().isEmpty());
        QCOMPARE(session.serverHost(), QStringLiteral("127.0.0.1"));
        QVERIFY(!pages.isEmpty());
    }

    void unusableContextIsAnErrorWithTheKubeconfigsReason()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("config"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("apiVersion: v1\nkind: Config\ncurrent-context: lost\ncontexts:\n- name: lost\n  context: {cluster: "
                   "nowhere, user: me}\nusers:\n- name: me\n  user: {token: t}\n");
        file.close();
        ClusterSession session(load(path), QStringLiteral("lost"));
        QVERIFY(session.isUnusable());
        QVERIFY(!session.client());
        QCOMPARE(session.state(), ClusterSession::State::Error);
        QVERIFY2(session.errorText().contains(QLatin1String("nowhere")), qPrintable(session.errorText()));
        session.start();
        QVERIFY(!session.podWatch());
    }

    void refusedListIsAnErrorNamingTheRefusal()
    {
        SimFixture sim({QStringLiteral("--forbid"), QStringLiteral("list:pods")});
        PODTAP_REQUIRE_SIM(sim);
        ClusterSession session(load(sim.kubeconfig()), QStringLiteral("kube-sim"));
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), ClusterSession::State::Error, 15000);
        QVERIFY2(session.errorText().contains(QLatin1String("cannot list resource \"pods\"")),
            qPrintable(session.errorText()));
    }

    void execPluginFailureIsAnErrorWithThePluginsReason()
    {
        SimFixture sim({QStringLiteral("--auth"), QStringLiteral("token")});
        PODTAP_REQUIRE_SIM(sim);
        QTemporaryDir dir;
        const QString kubeconfig =
            podtap::test::execPluginKubeconfig(sim, dir, "echo 'login expired, run cloud-login --renew' >&2\nexit 4\n");
        QVERIFY(!kubeconfig.isEmpty());
        ClusterSession session(load(kubeconfig), QStringLiteral("kube-sim"));
        session.start();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), ClusterSession::State::Error, 15000);
        QVERIFY2(session.errorText().contains(QLatin1String("exited with code 4")), qPrintable(session.errorText()));
        QVERIFY2(session.errorText().contains(QLatin1String("cloud-login --renew")), qPrintable(session.errorText()));
    }
};

QTEST_GUILESS_MAIN(TestClusterSessionE2e)
#include "tst_cluster_session_e2e.moc"
