// SPDX-License-Identifier: Apache-2.0
#include "cluster/pod_filter.h"
#include "cluster/pod_search_index.h"
#include "cluster/pod_table.h"

#include <QRandomGenerator>
#include <QTest>

using namespace podtap::cluster;

/// @brief PodTable's packed search text always says what its rows say, through appends, updates,
/// removals, compaction, clear and swap, so filtering it is filtering the pods.
class TestPodTable final : public QObject
{
    Q_OBJECT

    QRandomGenerator m_random {20261127};
    int m_nextUid = 0;

    QString pick(const QStringList &choices) { return choices.at(int(m_random.bounded(choices.size()))); }

    PodRow randomPod(const QString &uid)
    {
        PodRow row;
        row.uid = uid;
        row.namespaceName = pick({QStringLiteral("default"), QStringLiteral("kube-system"), QStringLiteral("web")});
        // Long names fill the buffer quickly, so updates reach the compaction threshold.
        row.name = pick({QStringLiteral("frontend"), QStringLiteral("Api-Gateway"), QStringLiteral("db")}) +
            QLatin1Char('-') + QString::number(m_random.generate(), 36) + QString(int(m_random.bounded(300)), u'x');
        row.nodeName = m_random.bounded(4) == 0 ? QString() : QStringLiteral("worker-%1").arg(m_random.bounded(5));
        if (m_random.bounded(2))
            row.labels.append({QStringLiteral("app"), pick({QStringLiteral("web"), QStringLiteral("db")})});
        return row;
    }

    static void verifyAgrees(const PodTable &table)
    {
        static const QStringList filters {QStringLiteral("front"), QStringLiteral("API"), QStringLiteral("xxxx"),
            QStringLiteral("node:worker-3"), QStringLiteral("app=web"), QStringLiteral("db app!=db"),
            QStringLiteral("node:work gateway"), QString()};
        for (int row = 0; row < table.size(); ++row) {
            const PodRow &pod = table.at(row);
            QCOMPARE(table.searchName(row), QStringView(pod.name));
            QCOMPARE(table.searchNode(row), QStringView(pod.nodeName));
            QVERIFY(table.inNamespace(row, table.namespaceId(pod.namespaceName)));
            for (const QString &text : filters) {
                const PodFilter filter = PodFilter::parse(text);
                const bool direct =
                    filter.matches(pod.name, pod.nodeName, [&](const QString &key) { return labelValue(pod, key); });
                QVERIFY2(table.matches(filter, row) == direct, qPrintable(text + QStringLiteral(" on ") + pod.name));
            }
        }
    }

private Q_SLOTS:
    void searchTextFollowsEveryChange()
    {
        PodTable table;
        for (int i = 0; i < 300; ++i)
            table.append(randomPod(QString::number(m_nextUid++)));
        verifyAgrees(table);
        // Enough updates and removals to leave well over a megabyte of replaced text behind.
        for (int round = 0; round < 40; ++round) {
            for (int i = 0; i < 120; ++i) {
                const int row = int(m_random.bounded(table.size()));
                PodRow pod = randomPod(table.at(row).uid);
                if (m_random.bounded(3) == 0)
                    pod.name = table.at(row).name; // labels or node changed, not the name
                table.replace(row, std::move(pod));
            }
            const int first = int(m_random.bounded(table.size() - 20));
            table.removeRows(first, first + int(m_random.bounded(10)));
            for (int i = 0; i < 10; ++i)
                table.append(randomPod(QString::number(m_nextUid++)));
            verifyAgrees(table);
        }
        QVERIFY(table.size() > 100);
    }

    void replacedTextIsCompactedAway()
    {
        PodSearchIndex index;
        PodRow pod;
        pod.namespaceName = QStringLiteral("default");
        pod.nodeName = QStringLiteral("worker-1");
        for (int i = 0; i < 3000; ++i) {
            pod.name = QStringLiteral("pod-%1-").arg(i) + QString(1000, u'y');
            index.set(i % 3, pod);
            QCOMPARE(index.name(i % 3), QStringView(pod.name));
            QCOMPARE(index.node(i % 3), QStringView(pod.nodeName));
        }
        // Three live names of about 1000 characters; without compaction the buffer would hold 3 million.
        QVERIFY2(index.textSize() < (1 << 20) + (1 << 19), qPrintable(QString::number(index.textSize())));
        QVERIFY(index.name(0).startsWith(QStringLiteral("pod-2997-")));
        index.release(1);
        QVERIFY(index.name(1).isEmpty());
        QCOMPARE(index.namespaceIdOf(1), -1);
        QCOMPARE(index.namespaceIdOf(0), index.namespaceId(QStringLiteral("default")));
    }

    void namespaceIdsKeepTheirMeaningWithinAnEpoch()
    {
        PodTable table;
        PodRow pod = randomPod(QStringLiteral("a"));
        pod.namespaceName = QStringLiteral("team-a");
        table.append(pod);
        const std::uint64_t epoch = table.namespaceEpoch();
        const int id = table.namespaceId(QStringLiteral("team-a"));
        QVERIFY(id >= 0);
        QCOMPARE(table.namespaceId(QStringLiteral("team-b")), -1);
        pod.uid = QStringLiteral("b");
        pod.namespaceName = QStringLiteral("team-b");
        table.append(pod);
        QCOMPARE(table.namespaceEpoch(), epoch);
        QCOMPARE(table.namespaceId(QStringLiteral("team-a")), id);
        QVERIFY(!table.inNamespace(1, id));

        // A relist builds another table and swaps it in: ids of the old one must not be trusted.
        PodTable rebuilt;
        pod.uid = QStringLiteral("c");
        rebuilt.append(pod);
        table.swap(rebuilt);
        QVERIFY(table.namespaceEpoch() != epoch);
        QCOMPARE(rebuilt.namespaceEpoch(), epoch);
        verifyAgrees(table);
        rebuilt.clear();
        QVERIFY(rebuilt.namespaceEpoch() != epoch);
        QCOMPARE(rebuilt.namespaceId(QStringLiteral("team-a")), -1);

        // Removing every row empties the table the same way.
        table.removeRows(0, table.size() - 1);
        QVERIFY(table.isEmpty());
        QCOMPARE(table.namespaceId(QStringLiteral("team-b")), -1);
    }
};

QTEST_GUILESS_MAIN(TestPodTable)
#include "tst_pod_table.moc"
