// SPDX-License-Identifier: Apache-2.0
// Workloads on kube-sim's rig: `--workloads` pods run as real rig pods spread over the nodes, and
// `podtapctl get pods TARGET`, run in the workstation namespace, resolves each workload kind to
// exactly those pods, with the addresses their network namespaces really have.
#include "rig_fixture.h"
#include "support/privileged.h"

#include <QRegularExpression>
#include <QSet>
#include <QTest>

using namespace podtap::test;

namespace {

struct Row
{
    QString name;
    QString node;
    QString ip;
    QString tap;
};

QList<Row> previewRows(const QByteArray &output)
{
    QList<Row> rows;
    static const QRegularExpression columns(QStringLiteral("\\s{2,}"));
    const QList<QByteArray> lines = output.split('\n');
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QStringList cells = QString::fromUtf8(lines[i]).trimmed().split(columns);
        if (cells.size() == 5) {
            rows.append({cells[0], cells[2], cells[3], cells[4]});
        }
    }
    return rows;
}

} // namespace

class TestWorkloadRig final : public QObject
{
    Q_OBJECT

private:
    RigFixture m_rig;

    RigFixture::Pod described(const QString &name) const
    {
        for (const RigFixture::Pod &pod : m_rig.pods()) {
            if (pod.ns == QLatin1String("shop") && pod.name == name) {
                return pod;
            }
        }
        return {};
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        QString error;
        QVERIFY2(m_rig.start({QStringLiteral("--nodes"), QStringLiteral("3"), QStringLiteral("--namespaces"),
                                 QStringLiteral("1"), QStringLiteral("--pods"), QStringLiteral("3"),
                                 QStringLiteral("--workloads"), QStringLiteral("shop")},
                     &error),
            qPrintable(error));
    }

    void everyKindResolvesToRigPods_data()
    {
        QTest::addColumn<QString>("target");
        QTest::addColumn<int>("running");
        QTest::addColumn<int>("nodes");
        QTest::newRow("daemonset") << "ds/node-agent" << 3 << 3;
        QTest::newRow("statefulset") << "sts/db" << 3 << 3;
        QTest::newRow("deployment") << "deploy/shop" << 2 << 2;
        QTest::newRow("job") << "job/migrate" << 1 << 1;
        QTest::newRow("selector") << "app in (db,node-agent)" << 6 << 3;
    }

    void everyKindResolvesToRigPods()
    {
        QFETCH(QString, target);
        QFETCH(int, running);
        QFETCH(int, nodes);
        const ProcessResult result = m_rig.podtapctl(
            {QStringLiteral("get"), QStringLiteral("pods"), target, QStringLiteral("-n"), QStringLiteral("shop")});
        QVERIFY2(result.ok(), qPrintable(result.describe({QStringLiteral("podtapctl get pods"), target})));
        QSet<QString> nodeNames;
        int tapped = 0;
        for (const Row &row : previewRows(result.out)) {
            if (row.tap != QLatin1String("yes")) {
                continue;
            }
            ++tapped;
            nodeNames.insert(row.node);
            // The pod runs in the rig: its namespace exists and holds the address the resolver reported.
            const RigFixture::Pod pod = described(row.name);
            QVERIFY2(!pod.netns.isEmpty(), qPrintable(row.name + QStringLiteral(" is not a running rig pod")));
            QCOMPARE(row.ip, pod.ip);
            QCOMPARE(row.node, pod.node);
            const ProcessResult addresses = m_rig.inNetns(
                pod.netns, {QStringLiteral("ip"), QStringLiteral("-o"), QStringLiteral("-4"), QStringLiteral("addr")});
            QVERIFY2(addresses.out.contains((QStringLiteral(" ") + pod.ip + QStringLiteral("/")).toUtf8()),
                addresses.out.constData());
        }
        QCOMPARE(tapped, running);
        QCOMPARE(int(nodeNames.size()), nodes);
    }

    void cleanupTestCase()
    {
        const QStringList left = m_rig.stop();
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QStringLiteral(", "))));
    }
};

QTEST_GUILESS_MAIN(TestWorkloadRig)
#include "tst_workload_rig.moc"
