// SPDX-License-Identifier: Apache-2.0
// ListWatch, PodTableModel and `podtapctl get --watch` against a misbehaving podtap-sim: the
// number of requests stays bounded (back-off with jitter), the table stays, marked stale, and
// recovers when the server does; overlong watch lines relist; oversized replies fail clearly.
#include "cluster/pod_table_model.h"
#include "kube/list_watch.h"
#include "sim_fixture.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

using namespace podtap::kube;
using podtap::cluster::PodTableModel;
using podtap::test::builtExecutable;
using podtap::test::setSimFaults;
using podtap::test::SimFixture;
using podtap::test::waitFor;

namespace {

const QString kNs = QStringLiteral("default");

/// More than this many requests in the 10 s window means the client is not backing off.
constexpr int kMaxRequestsInWindow = 30;
constexpr int kWindowMs = 10000;

QJsonObject podManifest(const QString &name, const QString &annotation = {})
{
    QJsonObject metadata {{QStringLiteral("name"), name}};
    if (!annotation.isEmpty()) {
        metadata.insert(QStringLiteral("annotations"), QJsonObject {{QStringLiteral("example.com/blob"), annotation}});
    }
    return QJsonObject {{QStringLiteral("apiVersion"), QStringLiteral("v1")},
        {QStringLiteral("kind"), QStringLiteral("Pod")}, {QStringLiteral("metadata"), metadata},
        {QStringLiteral("spec"),
            QJsonObject {{QStringLiteral("containers"),
                QJsonArray {QJsonObject {{QStringLiteral("name"), QStringLiteral("app")},
                    {QStringLiteral("image"), QStringLiteral("registry.example/app:1")}}}}}}};
}

/// The sim's request counters (GET /sim/stats); -1 each when it cannot be read.
struct SimStats
{
    qint64 requests = -1, lists = -1, watches = -1;
};

SimStats simStats(KubeClient *client)
{
    KubeReply *reply = waitFor(client->get(QStringLiteral("/sim/stats")));
    reply->deleteLater();
    SimStats stats;
    if (reply->ok()) {
        const QJsonObject json = reply->json();
        stats.requests = json.value(QLatin1String("requests")).toInteger(-1);
        stats.lists = json.value(QLatin1String("lists")).toInteger(-1);
        stats.watches = json.value(QLatin1String("watches")).toInteger(-1);
    }
    return stats;
}

const QJsonObject kNoFaults {{QStringLiteral("closeWatchAfterMs"), -1}, {QStringLiteral("watchErrorCode"), 0},
    {QStringLiteral("watchStatusCode"), 0}, {QStringLiteral("failStatusCode"), 0}};

} // namespace

class TestWatchBackoffE2e : public QObject
{
    Q_OBJECT

    static QStringList seedArgs()
    {
        return {QStringLiteral("--pods"), QStringLiteral("6"), QStringLiteral("--namespaces"), QStringLiteral("1")};
    }

private Q_SLOTS:
    void requestsStayBounded_data()
    {
        QTest::addColumn<QStringList>("fault");
        QTest::newRow("watch closed at once")
            << QStringList {QStringLiteral("--close-watch-after-ms"), QStringLiteral("0")};
        QTest::newRow("ERROR 500 event") << QStringList {QStringLiteral("--watch-error"), QStringLiteral("500")};
        QTest::newRow("ERROR 410 event") << QStringList {QStringLiteral("--watch-error"), QStringLiteral("410")};
        QTest::newRow("watch refused with 410")
            << QStringList {QStringLiteral("--watch-status"), QStringLiteral("410")};
        QTest::newRow("watch refused with 503")
            << QStringList {QStringLiteral("--watch-status"), QStringLiteral("503")};
    }

    /// With each fault, a ListWatch and `podtapctl get pods --watch` (each on its own sim, at the
    /// same time) make at most a few dozen requests in 10 s, and keep trying.
    void requestsStayBounded()
    {
        QFETCH(QStringList, fault);
        SimFixture libSim(seedArgs() + fault);
        SimFixture cliSim(seedArgs() + fault);
        PODTAP_REQUIRE_SIM(libSim);
        PODTAP_REQUIRE_SIM(cliSim);
        auto client = libSim.client();
        auto cliClient = cliSim.client();
        QVERIFY(client && cliClient);

        ListWatch watch(client.get(), KubeClient::corePath(QStringLiteral("pods"), kNs));
        QSignalSpy relisted(&watch, &ListWatch::relistFinished);
        QProcess cli;
        cli.setProgram(builtExecutable(QStringLiteral("app/cli/podtapctl")));
        cli.setArguments({QStringLiteral("--kubeconfig"), cliSim.kubeconfig(), QStringLiteral("get"),
            QStringLiteral("pods"), QStringLiteral("--watch")});
        cli.setStandardOutputFile(QProcess::nullDevice());
        cli.start();
        QVERIFY2(cli.waitForStarted(10000), qPrintable(cli.errorString()));
        watch.start();
        QVERIFY(relisted.wait(10000));
        QTest::qWait(kWindowMs);
        const bool cliRunning = cli.state() == QProcess::Running;
        cli.terminate();
        if (!cli.waitForFinished(10000)) {
            cli.kill();
            cli.waitForFinished(5000);
        }
        const QByteArray cliErrors = cli.readAllStandardError();
        watch.stop();

        const SimStats lib = simStats(client.get());
        const SimStats ctl = simStats(cliClient.get());
        qInfo("ListWatch: %lld requests (%lld lists, %lld watches); podtapctl: %lld requests (%lld lists, %lld "
              "watches)",
            lib.requests, lib.lists, lib.watches, ctl.requests, ctl.lists, ctl.watches);
        QVERIFY(lib.requests >= 0 && ctl.requests >= 0);
        QVERIFY2(lib.requests <= kMaxRequestsInWindow,
            qPrintable(QStringLiteral("ListWatch made %1 requests in 10 s").arg(lib.requests)));
        QVERIFY2(ctl.requests <= kMaxRequestsInWindow,
            qPrintable(QStringLiteral("podtapctl made %1 requests in 10 s").arg(ctl.requests)));
        // Still trying: back-off, not giving up.
        QVERIFY2(lib.watches >= 2, qPrintable(QStringLiteral("ListWatch watched %1 times").arg(lib.watches)));
        QVERIFY2(ctl.watches >= 2, qPrintable(QStringLiteral("podtapctl watched %1 times").arg(ctl.watches)));
        QVERIFY2(cliRunning, cliErrors.constData());
    }

    void tableStaysStaleAndRecovers_data()
    {
        QTest::addColumn<QJsonObject>("faults");
        QTest::addColumn<bool>("writable"); // can the cluster change while the fault lasts?
        QTest::newRow("watch closed at once") << QJsonObject {{QStringLiteral("closeWatchAfterMs"), 0}} << true;
        QTest::newRow("ERROR 500 event") << QJsonObject {{QStringLiteral("watchErrorCode"), 500}} << true;
        QTest::newRow("ERROR 410 event") << QJsonObject {{QStringLiteral("watchErrorCode"), 410}} << true;
        QTest::newRow("watch refused with 410") << QJsonObject {{QStringLiteral("watchStatusCode"), 410}} << true;
        QTest::newRow("every request fails") << QJsonObject {{QStringLiteral("failStatusCode"), 503}} << false;
    }

    /// The table keeps its rows, marked stale, while the server misbehaves, and is current and
    /// fresh again once it recovers.
    void tableStaysStaleAndRecovers()
    {
        QFETCH(QJsonObject, faults);
        QFETCH(bool, writable);
        SimFixture sim(seedArgs() + QStringList {QStringLiteral("--bookmark-interval"), QStringLiteral("1000")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QVERIFY(client);
        PodTableModel model;
        // All namespaces: the seeded pods live in the workload namespaces.
        ListWatch watch(client.get(), KubeClient::corePath(QStringLiteral("pods")));
        watch.setBackoff(200, 2000); // keeps the recovery quick; the shape is the default's
        model.connectTo(&watch);
        QSignalSpy opened(&watch, &ListWatch::watchOpened);
        QSignalSpy stale(&model, &PodTableModel::staleChanged);
        watch.start();
        QVERIFY(opened.wait(10000));
        const int before = model.rowCount();
        QVERIFY(before > 0);
        QVERIFY(!model.isStale());

        QVERIFY(setSimFaults(client.get(), faults));
        QTRY_VERIFY_WITH_TIMEOUT(model.isStale(), 10000);
        if (writable) {
            QVERIFY(waitFor(client->create(KubeClient::corePath(QStringLiteral("pods"), kNs),
                                podManifest(QStringLiteral("during"))))
                        ->ok());
        }
        // While the server misbehaves the table keeps its rows and stays stale.
        stale.clear();
        QTest::qWait(3000);
        QVERIFY2(stale.isEmpty(), "the table turned fresh while the server was still failing");
        QVERIFY(model.isStale());
        QVERIFY(model.rowCount() >= before);

        QVERIFY(setSimFaults(client.get(), kNoFaults));
        QVERIFY(waitFor(
            client->create(KubeClient::corePath(QStringLiteral("pods"), kNs), podManifest(QStringLiteral("after"))))
                    ->ok());
        QTRY_VERIFY_WITH_TIMEOUT(!model.isStale(), 30000);
        const int expected = before + (writable ? 2 : 1);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), expected, 10000);
        QVERIFY(model.rowOf(model.index(expected - 1, 0).data(PodTableModel::UidRole).toString()) >= 0);
    }

    /// A watch event longer than the line limit is not dropped silently: the watch reports it,
    /// goes stale, and relists, so the table still gets the object.
    void overlongWatchLineRelists()
    {
        SimFixture sim(seedArgs());
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QVERIFY(client);
        client->setMaxStreamLineBytes(32 * 1024);
        PodTableModel model;
        ListWatch watch(client.get(), KubeClient::corePath(QStringLiteral("pods"), kNs));
        watch.setBackoff(200, 2000);
        model.connectTo(&watch);
        QSignalSpy opened(&watch, &ListWatch::watchOpened);
        QSignalSpy errors(&watch, &ListWatch::errorOccurred);
        QSignalSpy stale(&watch, &ListWatch::staleChanged);
        watch.start();
        QVERIFY(opened.wait(10000));
        const int before = model.rowCount();
        QCOMPARE(watch.relistCount(), 1);
        QVERIFY(waitFor(client->create(KubeClient::corePath(QStringLiteral("pods"), kNs),
                            podManifest(QStringLiteral("big"), QString(64 * 1024, QLatin1Char('x')))))
                    ->ok());
        QTRY_VERIFY_WITH_TIMEOUT(watch.relistCount() >= 2, 10000);
        QVERIFY(!stale.isEmpty() && stale.first().first().toBool());
        QVERIFY(!errors.isEmpty());
        const ApiError error = errors.first().first().value<ApiError>();
        QVERIFY2(error.message.contains(QLatin1String("32768")), qPrintable(error.message));
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), before + 1, 10000);
    }

    /// A watch that goes silent (a half-open connection: no bytes, no end) is noticed once it
    /// outlives its own timeoutSeconds plus a margin, and restarted.
    void silentWatchIsNoticed()
    {
        SimFixture sim(seedArgs() + QStringList {QStringLiteral("--stall-watches")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QVERIFY(client);
        ListOptions options;
        options.watchTimeoutSeconds = 1;
        ListWatch watch(client.get(), KubeClient::corePath(QStringLiteral("pods")), options);
        watch.setBackoff(200, 1000);
        QSignalSpy errors(&watch, &ListWatch::errorOccurred);
        watch.start();
        QVERIFY(errors.wait(20000));
        const ApiError error = errors.first().first().value<ApiError>();
        QCOMPARE(error.kind, ApiError::Kind::Network);
        QVERIFY2(error.message.contains(QLatin1String("no data from the server")), qPrintable(error.message));
        QVERIFY(watch.isStale());
        QTRY_VERIFY_WITH_TIMEOUT(simStats(client.get()).watches >= 2, 20000); // and it tried again
    }

    /// A reply over the client's size cap fails with an error that names the limit.
    void oversizedReplyFailsClearly()
    {
        SimFixture sim(
            {QStringLiteral("--pods"), QStringLiteral("200"), QStringLiteral("--namespaces"), QStringLiteral("1")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QVERIFY(client);
        KubeReply *small = waitFor(client->get(KubeClient::corePath(QStringLiteral("pods"))));
        QVERIFY2(small->ok(), qPrintable(small->error().toString()));
        QVERIFY(small->body().size() > 64 * 1024);
        client->setMaxResponseBytes(64 * 1024);
        KubeReply *reply = waitFor(client->get(KubeClient::corePath(QStringLiteral("pods"))));
        QVERIFY(reply->isFinished());
        QVERIFY(!reply->ok());
        QVERIFY(reply->body().size() <= 64 * 1024);
        const QString text = reply->error().toString();
        QVERIFY2(text.contains(QLatin1String("65536")), qPrintable(text));
        QVERIFY2(text.contains(QLatin1String("/api/v1/pods")), qPrintable(text));
        // A page within the limit still works.
        QUrlQuery query;
        query.addQueryItem(QStringLiteral("limit"), QStringLiteral("5"));
        QVERIFY(waitFor(client->get(KubeClient::corePath(QStringLiteral("pods")), query))->ok());
    }
};

QTEST_GUILESS_MAIN(TestWatchBackoffE2e)
#include "tst_watch_backoff_e2e.moc"
