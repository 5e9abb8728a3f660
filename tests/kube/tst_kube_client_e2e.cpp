// SPDX-License-Identifier: Apache-2.0
// KubeClient against podtap-sim: paging, typed errors, dry runs, access reviews, patches,
// deletes, followed logs, EC/PKCS#8 client keys, and streams that never starve a GET.
#include "kube/list_watch.h"
#include "sim_fixture.h"

#include <QJsonArray>
#include <QtTest>

using namespace podtap::kube;
using podtap::test::SimFixture;
using podtap::test::waitFor;

namespace {

QJsonObject podManifest(const QString &name)
{
    return QJsonObject {{QStringLiteral("apiVersion"), QStringLiteral("v1")},
        {QStringLiteral("kind"), QStringLiteral("Pod")},
        {QStringLiteral("metadata"),
            QJsonObject {{QStringLiteral("name"), name},
                {QStringLiteral("labels"), QJsonObject {{QStringLiteral("app"), QStringLiteral("e2e")}}}}},
        {QStringLiteral("spec"),
            QJsonObject {{QStringLiteral("containers"),
                QJsonArray {QJsonObject {{QStringLiteral("name"), QStringLiteral("app")},
                    {QStringLiteral("image"), QStringLiteral("registry.example/app:1")}}}}}}};
}

const QString kForbiddenNs = QStringLiteral("locked");

} // namespace

class TestKubeClientE2e : public QObject
{
    Q_OBJECT

    std::unique_ptr<SimFixture> m_sim;
    std::unique_ptr<KubeClient> m_client;
    const int m_pods = 1234;

private Q_SLOTS:
    void initTestCase()
    {
        m_sim = std::make_unique<SimFixture>(QStringList {QStringLiteral("--namespaces"), QStringLiteral("4"),
            QStringLiteral("--pods"), QString::number(m_pods), QStringLiteral("--nodes"), QStringLiteral("3"),
            QStringLiteral("--forbid"), QStringLiteral("create:pods:") + kForbiddenNs});
        PODTAP_REQUIRE_SIM(*m_sim);
        QString error;
        m_client = m_sim->client(&error);
        QVERIFY2(m_client, qPrintable(error));
        QVERIFY(!m_client->isInsecure());
        QVERIFY(!m_client->config().clientKeyPem.isEmpty()); // the sim's user is a certificate user
    }

    void cleanupTestCase()
    {
        m_client.reset();
        m_sim.reset();
    }

    void listPagesAt500()
    {
        ListOptions options;
        options.watch = false;
        ListWatch list(m_client.get(), KubeClient::corePath(QStringLiteral("pods")), options);
        int pages = 0;
        qsizetype items = 0;
        QSet<QString> uids;
        connect(&list, &ListWatch::pageReceived, this, [&](const QJsonArray &page) {
            ++pages;
            items += page.size();
            QVERIFY(page.size() <= 500);
            for (const QJsonValue &pod : page) {
                uids.insert(pod[QLatin1String("metadata")][QLatin1String("uid")].toString());
            }
        });
        QSignalSpy finished(&list, &ListWatch::relistFinished);
        list.start();
        QVERIFY(finished.wait(30000));
        QVERIFY(pages >= 3);
        QVERIFY(items >= m_pods);
        QCOMPARE(uids.size(), items); // no pod twice across pages
        QVERIFY(!finished.first().first().toString().isEmpty()); // a resourceVersion to watch from
    }

    void typedErrors()
    {
        KubeReply *missing = waitFor(m_client->get(
            KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("default"), QStringLiteral("no-such-pod"))));
        QVERIFY(missing->isFinished());
        QCOMPARE(missing->error().kind, ApiError::Kind::Status);
        QCOMPARE(missing->httpStatus(), 404);
        QVERIFY(missing->error().isNotFound());
        QVERIFY(missing->error().message.contains(QStringLiteral("no-such-pod")));

        const QString collection = KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("default"));
        KubeReply *first = waitFor(m_client->create(collection, podManifest(QStringLiteral("twice"))));
        QVERIFY2(first->ok(), qPrintable(first->error().toString()));
        KubeReply *second = waitFor(m_client->create(collection, podManifest(QStringLiteral("twice"))));
        QCOMPARE(second->httpStatus(), 409);
        QVERIFY(second->error().isAlreadyExists());
        QCOMPARE(second->error().detailsName, QStringLiteral("twice"));

        KubeReply *forbidden = waitFor(m_client->create(
            KubeClient::corePath(QStringLiteral("pods"), kForbiddenNs), podManifest(QStringLiteral("x"))));
        QCOMPARE(forbidden->httpStatus(), 403);
        QVERIFY(forbidden->error().isForbidden());
        QVERIFY(!forbidden->error().message.isEmpty());
    }

    void dryRunStoresNothing()
    {
        const QString collection = KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("default"));
        KubeReply *dry = waitFor(m_client->create(collection, podManifest(QStringLiteral("dry-one")), true));
        QVERIFY2(dry->ok(), qPrintable(dry->error().toString()));
        QCOMPARE(dry->json()[QLatin1String("metadata")][QLatin1String("name")].toString(), QStringLiteral("dry-one"));
        KubeReply *get = waitFor(m_client->get(collection + QStringLiteral("/dry-one")));
        QVERIFY(get->error().isNotFound());
    }

    void accessReviews()
    {
        KubeReply *allowed = waitFor(m_client->selfSubjectAccessReview(
            QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("default"), QStringLiteral("log")));
        QVERIFY2(allowed->ok(), qPrintable(allowed->error().toString()));
        QCOMPARE(allowed->json()[QLatin1String("status")][QLatin1String("allowed")].toBool(), true);
        KubeReply *denied =
            waitFor(m_client->selfSubjectAccessReview(QStringLiteral("create"), QStringLiteral("pods"), kForbiddenNs));
        QVERIFY2(denied->ok(), qPrintable(denied->error().toString()));
        QCOMPARE(denied->json()[QLatin1String("status")][QLatin1String("allowed")].toBool(), false);
    }

    void patchAndDelete()
    {
        const QString collection = KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("default"));
        QVERIFY(waitFor(m_client->create(collection, podManifest(QStringLiteral("patched"))))->ok());
        const QString path = collection + QStringLiteral("/patched");
        KubeReply *merge = waitFor(m_client->patch(path,
            QJsonObject {{QStringLiteral("metadata"),
                QJsonObject {{QStringLiteral("annotations"),
                    QJsonObject {{QStringLiteral("podtap.io/heartbeat"), QStringLiteral("2026-01-01T00:00:00Z")}}}}}},
            KubeClient::PatchType::Merge));
        QVERIFY2(merge->ok(), qPrintable(merge->error().toString()));
        QCOMPARE(
            merge->json()[QLatin1String("metadata")][QLatin1String("annotations")][QLatin1String("podtap.io/heartbeat")]
                .toString(),
            QStringLiteral("2026-01-01T00:00:00Z"));
        KubeReply *strategic = waitFor(m_client->patch(path,
            QJsonObject {{QStringLiteral("metadata"),
                QJsonObject {
                    {QStringLiteral("labels"), QJsonObject {{QStringLiteral("stage"), QStringLiteral("two")}}}}}},
            KubeClient::PatchType::StrategicMerge));
        QVERIFY2(strategic->ok(), qPrintable(strategic->error().toString()));
        QCOMPARE(
            strategic->json()[QLatin1String("metadata")][QLatin1String("labels")][QLatin1String("stage")].toString(),
            QStringLiteral("two"));
        QCOMPARE(strategic->json()[QLatin1String("metadata")][QLatin1String("labels")][QLatin1String("app")].toString(),
            QStringLiteral("e2e"));

        KubeReply *removed = waitFor(m_client->remove(path, 0));
        QVERIFY2(removed->ok(), qPrintable(removed->error().toString()));
        QDeadlineTimer deadline(10000);
        bool gone = false;
        while (!deadline.hasExpired() && !gone) {
            gone = waitFor(m_client->get(path))->error().isNotFound();
            if (!gone) {
                QTest::qWait(100);
            }
        }
        QVERIFY(gone);
    }

    void followLogGetsLines()
    {
        const QString collection = KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("default"));
        QVERIFY(waitFor(m_client->create(collection, podManifest(QStringLiteral("logged"))))->ok());
        QDeadlineTimer deadline(15000);
        QString phase;
        while (!deadline.hasExpired() && phase != QLatin1String("Running")) {
            phase = waitFor(m_client->get(collection + QStringLiteral("/logged")))
                        ->json()[QLatin1String("status")][QLatin1String("phase")]
                        .toString();
            if (phase != QLatin1String("Running")) {
                QTest::qWait(100);
            }
        }
        QCOMPARE(phase, QStringLiteral("Running"));
        KubeStream *stream =
            m_client->followLog(QStringLiteral("default"), QStringLiteral("logged"), QStringLiteral("app"));
        QSignalSpy lines(stream, &KubeStream::lineReceived);
        QSignalSpy closed(stream, &KubeStream::closed);
        QTRY_VERIFY_WITH_TIMEOUT(!lines.isEmpty() || !closed.isEmpty(), 10000);
        QVERIFY2(closed.isEmpty(),
            qPrintable(closed.isEmpty() ? QString() : closed.first().first().value<ApiError>().toString()));
        QVERIFY(!lines.first().first().toByteArray().isEmpty());
        QVERIFY(stream->isOpen()); // follow keeps the stream open
        stream->close();
        QCOMPARE(closed.count(), 1);
        stream->deleteLater();

        // A container that does not exist: the stream closes with the server's typed error.
        KubeStream *bad =
            m_client->followLog(QStringLiteral("default"), QStringLiteral("logged"), QStringLiteral("nope"));
        QSignalSpy badClosed(bad, &KubeStream::closed);
        QVERIFY(badClosed.wait(10000));
        QCOMPARE(badClosed.first().first().value<ApiError>().httpStatus, 400);
        bad->deleteLater();
    }

    void pkcs8EcClientKeyWorks()
    {
        if (QStandardPaths::findExecutable(QStringLiteral("openssl")).isEmpty()) {
            QSKIP("openssl is needed to convert the key");
        }
        RestConfig config = m_client->config();
        QVERIFY(config.clientKeyPem.contains("EC PRIVATE KEY")); // the sim issues EC keys
        // The same key as PKCS#8 ("BEGIN PRIVATE KEY"), as many tools write it.
        const podtap::test::ProcessResult converted = podtap::test::run(
            {QStringLiteral("openssl"), QStringLiteral("pkcs8"), QStringLiteral("-topk8"), QStringLiteral("-nocrypt")},
            10000, config.clientKeyPem);
        QVERIFY(converted.ok());
        QVERIFY(converted.out.contains("BEGIN PRIVATE KEY"));
        for (const QByteArray &key : {config.clientKeyPem, converted.out}) {
            config.clientKeyPem = key;
            KubeClient client(config);
            QVERIFY2(!client.configError().isError(), qPrintable(client.configError().message));
            KubeReply *reply = waitFor(client.get(KubeClient::corePath(QStringLiteral("namespaces"))));
            QVERIFY2(reply->ok(), qPrintable(reply->error().toString()));
        }
        // Without the client certificate the sim refuses us: the key really was used.
        config.clientKeyPem.clear();
        config.clientCertificatePem.clear();
        KubeClient anonymous(config);
        KubeReply *refused = waitFor(anonymous.get(KubeClient::corePath(QStringLiteral("namespaces"))));
        QVERIFY(refused->error().isError());
    }

    void wrongCaIsATlsErrorNamingTheServer()
    {
        RestConfig config = m_client->config();
        // Trust some other CA (the client's own certificate is not a CA for the server).
        config.caPem = config.clientCertificatePem;
        KubeClient client(config);
        KubeReply *reply = waitFor(client.get(QStringLiteral("/version")));
        QCOMPARE(reply->error().kind, ApiError::Kind::Tls);
        QVERIFY(reply->error().message.contains(m_sim->url()));
        QVERIFY(reply->error().message.contains(QStringLiteral("certificate-authority")));
    }

    void streamsNeverStarveAGet()
    {
        // Eight open watches: more than QNAM's six connections per host.
        QList<KubeStream *> streams;
        int opened = 0;
        for (int i = 0; i < 8; ++i) {
            KubeStream *stream = m_client->stream(KubeClient::corePath(QStringLiteral("pods")),
                QUrlQuery {{QStringLiteral("watch"), QStringLiteral("true")},
                    {QStringLiteral("resourceVersion"), QStringLiteral("0")},
                    {QStringLiteral("allowWatchBookmarks"), QStringLiteral("true")}});
            connect(stream, &KubeStream::opened, this, [&opened] { ++opened; });
            streams << stream;
        }
        QTRY_COMPARE_WITH_TIMEOUT(opened, 8, 20000);
        QVERIFY(m_client->streamManagerCount() >= 2);
        KubeReply *get = m_client->get(KubeClient::corePath(QStringLiteral("namespaces")));
        QSignalSpy finished(get, &KubeReply::finished);
        QVERIFY(finished.wait(5000));
        QVERIFY2(get->ok(), qPrintable(get->error().toString()));
        for (KubeStream *stream : streams) {
            QVERIFY(stream->isOpen());
            stream->close();
            stream->deleteLater();
        }
    }

    void tokenAuth()
    {
        SimFixture tokenSim({QStringLiteral("--auth"), QStringLiteral("token"), QStringLiteral("--pods"),
            QStringLiteral("3"), QStringLiteral("--namespaces"), QStringLiteral("1")});
        PODTAP_REQUIRE_SIM(tokenSim);
        std::unique_ptr<KubeClient> client = tokenSim.client();
        QVERIFY(client);
        QVERIFY(!client->config().token.isEmpty());
        QVERIFY(waitFor(client->get(KubeClient::corePath(QStringLiteral("pods"))))->ok());
        RestConfig wrong = client->config();
        wrong.token = QStringLiteral("not-the-token");
        KubeClient refused(wrong);
        KubeReply *reply = waitFor(refused.get(KubeClient::corePath(QStringLiteral("pods"))));
        QCOMPARE(reply->httpStatus(), 401);
        QVERIFY(reply->error().isUnauthorized());

        // An exec credential refused with 401 is fetched again once, and the request retried.
        RestConfig execConfig = client->config();
        const QString goodToken = execConfig.token;
        execConfig.token.clear();
        execConfig.exec = ExecConfig {};
        execConfig.exec->command = QStringLiteral("test-plugin");
        KubeClient execClient(execConfig);
        QList<bool> calls;
        execClient.setCredentialProvider([&](bool refresh, KubeClient::CredentialCallback done) {
            calls << refresh;
            ExecCredential credential;
            credential.token = refresh ? goodToken : QStringLiteral("stale-token");
            done(credential, {});
        });
        KubeReply *retried = waitFor(execClient.get(KubeClient::corePath(QStringLiteral("pods"))));
        QVERIFY2(retried->ok(), qPrintable(retried->error().toString()));
        QCOMPARE(calls, (QList<bool> {false, true}));
    }
};

QTEST_GUILESS_MAIN(TestKubeClientE2e)
#include "tst_kube_client_e2e.moc"
