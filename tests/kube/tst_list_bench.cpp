// SPDX-License-Identifier: Apache-2.0
// Benchmark (label bench): `podtapctl get pods -A` against `kubectl get pods -A` on one
// podtap-sim with 100k pods in 50 namespaces, and watch events applied to PodTableModel per
// second. Results go to the "Listing and watching" section of BENCHMARKS.md.
#include "cluster/pod_table_model.h"
#include "sim_fixture.h"
#include "support/benchmark_report.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QtTest>

#include <algorithm>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ;

using namespace podtap;
using podtap::test::selfRssKb;
using podtap::test::SimFixture;
using podtap::test::waitFor;

namespace {

constexpr int kPods = 100000;
constexpr int kNamespaces = 50;
constexpr int kRuns = 5;

struct Run
{
    double seconds = 0;
    long maxRssKb = 0;
    int exitCode = -1;
};

/// Runs @p command with stdout to /dev/null; wall time and the child's own peak RSS (wait4).
Run measure(const QStringList &command)
{
    QList<QByteArray> storage;
    std::vector<char *> argv;
    for (const QString &arg : command) {
        storage << arg.toLocal8Bit();
    }
    for (QByteArray &arg : storage) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    QElapsedTimer timer;
    timer.start();
    pid_t pid = 0;
    Run run;
    if (posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return run;
    }
    posix_spawn_file_actions_destroy(&actions);
    int status = 0;
    struct rusage usage
    {
    };
    wait4(pid, &status, 0, &usage);
    run.seconds = double(timer.nsecsElapsed()) / 1e9;
    run.maxRssKb = usage.ru_maxrss;
    run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

template<typename T>
T median(QList<T> values)
{
    std::sort(values.begin(), values.end());
    return values.at(values.size() / 2);
}

} // namespace

class TestListBench : public QObject
{
    Q_OBJECT

    QString m_listRows;
    QString m_watchRows;

private Q_SLOTS:
    void listAllPods()
    {
        SimFixture sim({QStringLiteral("--namespaces"), QString::number(kNamespaces), QStringLiteral("--pods"),
            QString::number(kPods), QStringLiteral("--nodes"), QStringLiteral("50")});
        PODTAP_REQUIRE_SIM(sim);
        const QString podtapctl = test::builtExecutable(QStringLiteral("app/cli/podtapctl"));
        QList<double> oursTime, kubectlTime;
        QList<long> oursRss, kubectlRss;
        for (int i = 0; i < kRuns; ++i) {
            const Run ours = measure({podtapctl, QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-A"),
                QStringLiteral("--kubeconfig"), sim.kubeconfig()});
            QCOMPARE(ours.exitCode, 0);
            const Run theirs = measure({QStringLiteral("kubectl"), QStringLiteral("--kubeconfig"), sim.kubeconfig(),
                QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-A")});
            QCOMPARE(theirs.exitCode, 0);
            oursTime << ours.seconds;
            oursRss << ours.maxRssKb;
            kubectlTime << theirs.seconds;
            kubectlRss << theirs.maxRssKb;
            qInfo("run %d: podtapctl %.2f s %ld KB, kubectl %.2f s %ld KB", i + 1, ours.seconds, ours.maxRssKb,
                theirs.seconds, theirs.maxRssKb);
        }
        const double t1 = median(oursTime), t2 = median(kubectlTime);
        const long r1 = median(oursRss), r2 = median(kubectlRss);
        m_listRows =
            QStringLiteral("| `get pods -A`, wall time (median of %1) | %2 s | %3 s | **%4× faster** | ≥ 5× |\n"
                           "| `get pods -A`, peak RSS (median of %1) | %5 MB | %6 MB | **%7 of kubectl's** | ≤ 1/3 |\n")
                .arg(kRuns)
                .arg(t1, 0, 'f', 2)
                .arg(t2, 0, 'f', 2)
                .arg(t2 / t1, 0, 'f', 1)
                .arg(double(r1) / 1024, 0, 'f', 1)
                .arg(double(r2) / 1024, 0, 'f', 1)
                .arg(QStringLiteral("1/%1").arg(double(r2) / double(r1), 0, 'f', 0));

        // Watch throughput: real pod objects from this sim, replayed as MODIFIED events into a
        // model holding 100k pods, applied in batches as the batch timer would.
        auto client = sim.client();
        QVERIFY(client);
        kube::KubeReply *page = waitFor(client->get(kube::KubeClient::corePath(QStringLiteral("pods")),
            QUrlQuery {{QStringLiteral("limit"), QStringLiteral("500")}}));
        QVERIFY(page->ok());
        const QJsonArray templates = page->json()[QLatin1String("items")].toArray();
        QVERIFY(!templates.isEmpty());
        auto podNumber = [&templates](int i) {
            QJsonObject pod = templates.at(i % templates.size()).toObject();
            QJsonObject metadata = pod[QLatin1String("metadata")].toObject();
            metadata[QLatin1String("uid")] = QStringLiteral("bench-%1").arg(i);
            metadata[QLatin1String("name")] = QStringLiteral("bench-pod-%1").arg(i);
            pod[QLatin1String("metadata")] = metadata;
            return pod;
        };
        const long rssBefore = selfRssKb();
        cluster::PodTableModel model;
        QElapsedTimer timer;
        timer.start();
        model.beginRelist();
        for (int start = 0; start < kPods; start += 500) {
            QJsonArray items;
            for (int i = start; i < start + 500; ++i) {
                items.append(podNumber(i));
            }
            model.addListPage(items);
        }
        model.endRelist();
        const double listSeconds = double(timer.nsecsElapsed()) / 1e9;
        QCOMPARE(model.rowCount(), kPods);
        const long rssModel = selfRssKb() - rssBefore;

        constexpr int kEvents = 100000;
        constexpr int kBatch = 500; // 2,000 events/s at a 250 ms batch interval
        QList<QByteArray> lines; // events as they arrive on the wire
        lines.reserve(kEvents);
        for (int i = 0; i < kEvents; ++i) {
            QJsonObject pod = podNumber((i * 7919) % kPods);
            QJsonObject status = pod[QLatin1String("status")].toObject();
            status[QLatin1String("podIP")] = QStringLiteral("198.51.100.%1").arg(i % 250);
            pod[QLatin1String("status")] = status;
            lines << QJsonDocument(
                QJsonObject {{QStringLiteral("type"), QStringLiteral("MODIFIED")}, {QStringLiteral("object"), pod}})
                         .toJson(QJsonDocument::Compact);
        }
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        double worstBatchMs = 0;
        timer.restart();
        for (int start = 0; start < kEvents; start += kBatch) {
            QElapsedTimer batch;
            batch.start();
            for (int i = start; i < start + kBatch; ++i) {
                const QJsonObject event = QJsonDocument::fromJson(lines.at(i)).object();
                model.queueEvent(kube::WatchEventType::Modified, event[QLatin1String("object")].toObject());
            }
            model.applyPending();
            worstBatchMs = std::max(worstBatchMs, double(batch.nsecsElapsed()) / 1e6);
        }
        const double watchSeconds = double(timer.nsecsElapsed()) / 1e9;
        QVERIFY(!changed.isEmpty());
        QCOMPARE(model.rowCount(), kPods);
        m_watchRows = QStringLiteral(
            "| PodTableModel: 100k pods into the model through list pages (includes building the 100k synthetic pod "
            "objects) | %1 s (%2 pods/s), +%3 MB RSS | | | |\n"
            "| PodTableModel: MODIFIED watch events parsed and applied, batches of %4 | **%5 events/s**, worst batch "
            "%6 ms | | | 2,000 events/s, no frame > 50 ms |\n")
                          .arg(listSeconds, 0, 'f', 2)
                          .arg(qint64(kPods / listSeconds))
                          .arg(double(rssModel) / 1024, 0, 'f', 0)
                          .arg(kBatch)
                          .arg(qint64(kEvents / watchSeconds))
                          .arg(worstBatchMs, 0, 'f', 1);
    }

    void cleanupTestCase()
    {
        if (m_listRows.isEmpty()) {
            return;
        }
        const QString section = QStringLiteral(
            "One podtap-sim seeded with %1 pods in %2 namespaces (plus the system ones) and 50 nodes; "
            "`podtapctl get pods -A` and `kubectl get pods -A` run alternately against it, stdout to /dev/null, "
            "peak RSS from wait4(). Both ask the server for its Table in pages of 500 (kubectl's default), so the "
            "difference is the client. Measured %3 on this machine (2 cores, the sim on the same cores).\n\n"
            "```sh\n"
            "ctest --test-dir build -R tst_list_bench --output-on-failure\n"
            "```\n\n"
            "| what | podtapctl | kubectl | result | target |\n"
            "|---|---|---|---|---|\n"
            "%4%5\n")
                                    .arg(kPods)
                                    .arg(kNamespaces)
                                    .arg(QDate::currentDate().toString(Qt::ISODate))
                                    .arg(m_listRows, m_watchRows);
        QCOMPARE(test::writeBenchmarkSection(QStringLiteral("Listing and watching"), section), QString());
    }
};

QTEST_GUILESS_MAIN(TestListBench)
#include "tst_list_bench.moc"
