// SPDX-License-Identifier: Apache-2.0
// `podtapctl get pods TARGET` against kube-sim: the preview of what a workload or selector tap would
// cover, and its refusals, checked against what the real kubectl lists with the same selector.
#include "sim_fixture.h"

#include <QRegularExpression>
#include <QTest>

using podtap::test::builtExecutable;
using podtap::test::ProcessResult;
using podtap::test::run;
using podtap::test::SimFixture;

namespace {

/// NAME -> TAP column of the preview table.
QMap<QString, QString> tapColumn(const QByteArray &output)
{
    QMap<QString, QString> out;
    static const QRegularExpression columns(QStringLiteral("\\s{2,}"));
    const QList<QByteArray> lines = output.split('\n');
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QStringList cells = QString::fromUtf8(lines[i]).trimmed().split(columns);
        if (cells.size() == 5) {
            out.insert(cells.first(), cells.last());
        }
    }
    return out;
}

} // namespace

class TestPodtapctlGetTargetE2e : public QObject
{
    Q_OBJECT

    std::unique_ptr<SimFixture> m_sim;

    ProcessResult podtapctl(const QStringList &args) const
    {
        return run(QStringList {builtExecutable(QStringLiteral("app/cli/podtapctl")), QStringLiteral("--kubeconfig"),
                       m_sim->kubeconfig(), QStringLiteral("get"), QStringLiteral("pods")} +
                args,
            30000);
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_sim = std::make_unique<SimFixture>(QStringList {QStringLiteral("--namespaces"), QStringLiteral("2"),
            QStringLiteral("--nodes"), QStringLiteral("3"), QStringLiteral("--pods"), QStringLiteral("10"),
            QStringLiteral("--workloads"), QStringLiteral("shop")});
        PODTAP_REQUIRE_SIM(*m_sim);
    }

    void deploymentPreviewMatchesKubectl()
    {
        const ProcessResult ours =
            podtapctl({QStringLiteral("deploy/shop"), QStringLiteral("-n"), QStringLiteral("shop")});
        QVERIFY2(ours.ok(), qPrintable(ours.describe({QStringLiteral("podtapctl get pods deploy/shop")})));
        QVERIFY2(ours.out.startsWith("NAME"), ours.out.constData());
        const QMap<QString, QString> taps = tapColumn(ours.out);
        // kubectl with the selector the Deployment carries lists the same pods.
        const ProcessResult theirs = m_sim->process().kubectl({QStringLiteral("get"), QStringLiteral("pods"),
            QStringLiteral("-n"), QStringLiteral("shop"), QStringLiteral("-l"),
            QStringLiteral("app=shop,tier in (web,api)"), QStringLiteral("-o"), QStringLiteral("name")});
        QVERIFY2(theirs.ok(), qPrintable(theirs.describe({QStringLiteral("kubectl get pods")})));
        QStringList kubectlNames;
        for (const QByteArray &line : theirs.out.trimmed().split('\n')) {
            kubectlNames << QString::fromUtf8(line.mid(4)); // "pod/"
        }
        kubectlNames.sort();
        QCOMPARE(QStringList(taps.keys()), kubectlNames);
        QCOMPARE(taps.values().count(QStringLiteral("yes")), 2);
        QCOMPARE(taps.values().count(QStringLiteral("no")), 1);
        QVERIFY2(ours.err.contains("2 running pod(s) to tap, 1 not running (selector app=shop,tier in (api,web))"),
            ours.err.constData());
    }

    void selectorTargetPreview()
    {
        const ProcessResult ours =
            podtapctl({QStringLiteral("-n"), QStringLiteral("shop"), QStringLiteral("app in (db,node-agent)")});
        QVERIFY2(ours.ok(), qPrintable(ours.describe({QStringLiteral("podtapctl get pods SELECTOR")})));
        QCOMPARE(tapColumn(ours.out).size(), 6);
    }

    void limitNamesTheFix()
    {
        const ProcessResult ours = podtapctl({QStringLiteral("sts/db"), QStringLiteral("-n"), QStringLiteral("shop"),
            QStringLiteral("--max-pods"), QStringLiteral("2")});
        QCOMPARE(ours.exitCode, 1);
        QVERIFY2(ours.err.contains("has 3 running pods, more than the limit of 2") && ours.err.contains("--max-pods 3"),
            ours.err.constData());
        QVERIFY(ours.out.isEmpty());
    }

    void missingWorkload()
    {
        const ProcessResult ours =
            podtapctl({QStringLiteral("job/nope"), QStringLiteral("-n"), QStringLiteral("shop")});
        QCOMPARE(ours.exitCode, 1);
        QVERIFY2(ours.err.contains("job \"nope\" was not found in namespace \"shop\""), ours.err.constData());
    }

    void badTargetSelector()
    {
        const ProcessResult ours = podtapctl({QStringLiteral("app in (a")});
        QCOMPARE(ours.exitCode, 2);
        QVERIFY2(ours.err.contains("invalid label selector \"app in (a\": at character 10"), ours.err.constData());
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("target with -A") << QStringList {QStringLiteral("deploy/shop"), QStringLiteral("-A")}
                                        << QByteArray("takes no -A, -l");
        QTest::newRow("bad kind") << QStringList {QStringLiteral("a/b/c")} << QByteArray("more than one '/'");
        QTest::newRow("bad --max-pods") << QStringList {QStringLiteral("sts/db"), QStringLiteral("--max-pods"),
                                               QStringLiteral("0")}
                                        << QByteArray("expected a number >= 1");
    }

    void usageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QByteArray, expected);
        const ProcessResult ours = podtapctl(args);
        QCOMPARE(ours.exitCode, 2);
        QVERIFY2(ours.err.contains(expected), ours.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestPodtapctlGetTargetE2e)
#include "tst_podtapctl_get_target_e2e.moc"
