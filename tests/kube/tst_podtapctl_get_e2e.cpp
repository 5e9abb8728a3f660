// SPDX-License-Identifier: Apache-2.0
// `podtapctl get` against podtap-sim, checked against the real kubectl on the same server.
#include "sim_fixture.h"

#include <QRegularExpression>
#include <QtTest>

using podtap::test::builtExecutable;
using podtap::test::run;
using podtap::test::SimFixture;

namespace {

QList<QStringList> table(const QByteArray &output)
{
    QList<QStringList> rows;
    static const QRegularExpression columns(QStringLiteral("\\s{2,}"));
    for (const QByteArray &line : output.split('\n')) {
        if (!line.trimmed().isEmpty()) {
            rows << QString::fromUtf8(line).trimmed().split(columns);
        }
    }
    return rows;
}

} // namespace

class TestPodtapctlGetE2e : public QObject
{
    Q_OBJECT

    std::unique_ptr<SimFixture> m_sim;

    QStringList podtapctl(const QStringList &args) const
    {
        return QStringList {builtExecutable(QStringLiteral("app/cli/podtapctl"))} + args;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_sim = std::make_unique<SimFixture>(QStringList {QStringLiteral("--namespaces"), QStringLiteral("5"),
            QStringLiteral("--pods"), QStringLiteral("1100"), QStringLiteral("--nodes"), QStringLiteral("4")});
        PODTAP_REQUIRE_SIM(*m_sim);
    }

    void cleanupTestCase() { m_sim.reset(); }

    void allPodsMatchKubectl()
    {
        const auto ours = run(podtapctl({QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-A"),
                                  QStringLiteral("--kubeconfig"), m_sim->kubeconfig()}),
            60000);
        QVERIFY2(ours.ok(), qPrintable(ours.describe({QStringLiteral("podtapctl get pods -A")})));
        if (QStandardPaths::findExecutable(QStringLiteral("kubectl")).isEmpty()) {
            QSKIP("kubectl is needed as the reference");
        }
        const auto theirs = run({QStringLiteral("kubectl"), QStringLiteral("--kubeconfig"), m_sim->kubeconfig(),
                                    QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-A")},
            120000);
        QVERIFY2(theirs.ok(), qPrintable(theirs.describe({QStringLiteral("kubectl get pods -A")})));
        const QList<QStringList> a = table(ours.out);
        const QList<QStringList> b = table(theirs.out);
        QCOMPARE(a.first(),
            (QStringList {QStringLiteral("NAMESPACE"), QStringLiteral("NAME"), QStringLiteral("READY"),
                QStringLiteral("STATUS"), QStringLiteral("RESTARTS"), QStringLiteral("AGE")}));
        QCOMPARE(a.first(), b.first());
        QCOMPARE(a.size(), b.size());
        QVERIFY(a.size() > 1100);
        for (qsizetype i = 1; i < a.size(); ++i) {
            // NAMESPACE NAME READY STATUS as printed; RESTARTS by count (kubectl adds "(5m ago)"
            // only when the server's table does); AGE may tick between the two runs.
            QCOMPARE(a[i].mid(0, 4), b[i].mid(0, 4));
            QCOMPARE(a[i][4].section(QLatin1Char(' '), 0, 0), b[i][4].section(QLatin1Char(' '), 0, 0));
        }
    }

    void flagsBeforeTheCommandAndSelectors()
    {
        const auto ns = run(podtapctl({QStringLiteral("--kubeconfig"), m_sim->kubeconfig(), QStringLiteral("get"),
                                QStringLiteral("ns")}),
            30000);
        QVERIFY(ns.ok());
        const QList<QStringList> namespaces = table(ns.out);
        QCOMPARE(namespaces.first(),
            (QStringList {QStringLiteral("NAME"), QStringLiteral("STATUS"), QStringLiteral("AGE")}));
        QVERIFY(namespaces.size() >= 6);
        const QString someNs = namespaces[1][0];

        const auto pods = run(podtapctl({QStringLiteral("-n"), someNs, QStringLiteral("--kubeconfig"),
                                  m_sim->kubeconfig(), QStringLiteral("get"), QStringLiteral("pods")}),
            30000);
        QVERIFY(pods.ok());
        const QList<QStringList> rows = table(pods.out);
        if (rows.size() > 1) {
            QCOMPARE(rows.first().first(), QStringLiteral("NAME"));
        }

        const auto none =
            run(podtapctl({QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-A"), QStringLiteral("-l"),
                    QStringLiteral("app=does-not-exist"), QStringLiteral("--kubeconfig"), m_sim->kubeconfig()}),
                30000);
        QVERIFY(none.ok());
        QVERIFY(none.out.isEmpty());
        QVERIFY(none.err.contains("No resources found"));

        const auto nodes = run(podtapctl({QStringLiteral("get"), QStringLiteral("nodes"),
                                   QStringLiteral("--kubeconfig"), m_sim->kubeconfig()}),
            30000);
        QVERIFY(nodes.ok());
        QCOMPARE(table(nodes.out).first(),
            (QStringList {QStringLiteral("NAME"), QStringLiteral("STATUS"), QStringLiteral("ROLES"),
                QStringLiteral("AGE"), QStringLiteral("VERSION")}));
        QCOMPARE(table(nodes.out).size(), 5);
    }

    void badInputIsAUsageError()
    {
        const auto bad = run(podtapctl({QStringLiteral("get"), QStringLiteral("deployments")}), 10000);
        QCOMPARE(bad.exitCode, 2);
        QVERIFY(bad.err.contains("unknown resource type"));
        const auto missing = run(podtapctl({QStringLiteral("get"), QStringLiteral("pods"),
                                     QStringLiteral("--kubeconfig"), m_sim->dir() + QStringLiteral("/missing.yaml")}),
            10000);
        QCOMPARE(missing.exitCode, 1);
        QVERIFY(!missing.err.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestPodtapctlGetE2e)
#include "tst_podtapctl_get_e2e.moc"
