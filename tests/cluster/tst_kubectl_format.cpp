// SPDX-License-Identifier: Apache-2.0
#include "cluster/kubectl_format.h"
#include "cluster/pod_health.h"

#include <QtTest>

using namespace podtap::cluster;

class TestKubectlFormat : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void humanDuration_data()
    {
        QTest::addColumn<qint64>("seconds");
        QTest::addColumn<QString>("text");
        QTest::newRow("0") << qint64(0) << QStringLiteral("0s");
        QTest::newRow("119s") << qint64(119) << QStringLiteral("119s");
        QTest::newRow("2m") << qint64(120) << QStringLiteral("2m");
        QTest::newRow("3m12s") << qint64(192) << QStringLiteral("3m12s");
        QTest::newRow("10m") << qint64(600) << QStringLiteral("10m");
        QTest::newRow("179m") << qint64(179 * 60) << QStringLiteral("179m");
        QTest::newRow("3h") << qint64(3 * 3600) << QStringLiteral("3h");
        QTest::newRow("5h2m") << qint64(5 * 3600 + 120) << QStringLiteral("5h2m");
        QTest::newRow("47h") << qint64(47 * 3600) << QStringLiteral("47h");
        QTest::newRow("2d5h") << qint64(53 * 3600) << QStringLiteral("2d5h");
        QTest::newRow("12d") << qint64(12 * 86400) << QStringLiteral("12d");
        QTest::newRow("2y30d") << qint64((730 + 30) * 86400) << QStringLiteral("2y30d");
        QTest::newRow("9y") << qint64(9 * 365 * 86400) << QStringLiteral("9y");
    }

    void humanDuration()
    {
        QFETCH(qint64, seconds);
        QFETCH(QString, text);
        QCOMPARE(kubectl::humanDuration(seconds * 1000), text);
    }

    void columnsLikeTabwriter()
    {
        kubectl::ColumnWriter writer({QStringLiteral("NAME"), QStringLiteral("READY"), QStringLiteral("STATUS")});
        const QList<QStringList> rows {
            {QStringLiteral("a-very-long-pod-name"), QStringLiteral("1/1"), QStringLiteral("Running")}};
        writer.measure(rows);
        // Cells are padded to width+3 (at least 6); the last column is never padded.
        QCOMPARE(
            writer.header(), QStringLiteral("NAME") + QString(19, QLatin1Char(' ')) + QStringLiteral("READY   STATUS"));
        QCOMPARE(writer.format(rows.first()), QStringLiteral("a-very-long-pod-name   1/1     Running"));
    }

    void cellsAreEscapedAndMeasuredEscaped()
    {
        kubectl::ColumnWriter writer({QStringLiteral("NAME"), QStringLiteral("STATUS")});
        const QList<QStringList> rows {{QStringLiteral("a\x1b[2Jb\nc"), QStringLiteral("Running")}};
        writer.measure(rows);
        QCOMPARE(writer.format(rows.first()), QStringLiteral("a\\x1b[2Jb\\x0ac   Running"));
    }

    void containerStateLikeDescribe()
    {
        PodContainer container;
        QCOMPARE(kubectl::containerState(container), QStringLiteral("No status yet"));
        container.state = PodContainer::State::Running;
        QCOMPARE(kubectl::containerState(container), QStringLiteral("Running"));
        container.state = PodContainer::State::Waiting;
        container.reason = QStringLiteral("CrashLoopBackOff");
        QCOMPARE(kubectl::containerState(container), QStringLiteral("Waiting: CrashLoopBackOff"));
        container.state = PodContainer::State::Terminated;
        container.reason = QStringLiteral("OOMKilled");
        container.exitCode = 137;
        QCOMPARE(kubectl::containerState(container), QStringLiteral("Terminated: OOMKilled (exit 137)"));
    }

    void everyHealthHasItsOwnColour()
    {
        // One table maps health to colour; two classes sharing a colour could not be told apart.
        QSet<quint32> colours;
        for (const PodHealth health : {PodHealth::Running, PodHealth::NotReady, PodHealth::Pending,
                 PodHealth::Completed, PodHealth::Failed, PodHealth::Terminating, PodHealth::Unknown}) {
            QCOMPARE(podHealthStyle(health).health, health);
            colours.insert(podHealthStyle(health).rgb);
        }
        QCOMPARE(colours.size(), 7);
    }

    void restartsWithLastRestart()
    {
        PodRow row;
        row.restarts = 3;
        QCOMPARE(kubectl::restarts(row, 0), QStringLiteral("3"));
        row.lastRestartMs = 1000;
        QCOMPARE(kubectl::restarts(row, 1000 + 300 * 1000), QStringLiteral("3 (5m ago)"));
    }
};

QTEST_GUILESS_MAIN(TestKubectlFormat)
#include "tst_kubectl_format.moc"
