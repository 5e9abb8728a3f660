// SPDX-License-Identifier: Apache-2.0
// kube-sim behaviour that kubectl alone does not exercise: selectors, 410 Expired, bookmarks,
// dropped watches, log follow and validation errors, checked over raw HTTPS.
#include "support/sim_process.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QTest>

using podtap::test::SimProcess;

namespace {

/// Talks to a sim with the client certificate from its kubeconfig.
class SimClient
{
public:
    explicit SimClient(const SimProcess &sim)
        : m_url(sim.url())
    {
        QFile file(sim.kubeconfig());
        if (!file.open(QIODevice::ReadOnly)) {
            return;
        }
        QByteArray ca, cert, key;
        for (const QByteArray &raw : file.readAll().split('\n')) {
            const QByteArray line = raw.trimmed();
            const auto value = [&](const char *name) { return QByteArray::fromBase64(line.mid(qstrlen(name) + 2)); };
            if (line.startsWith("certificate-authority-data:")) {
                ca = value("certificate-authority-data");
            } else if (line.startsWith("client-certificate-data:")) {
                cert = value("client-certificate-data");
            } else if (line.startsWith("client-key-data:")) {
                key = value("client-key-data");
            }
        }
        m_tls = QSslConfiguration::defaultConfiguration();
        m_tls.setCaCertificates(QSslCertificate::fromData(ca));
        m_tls.setLocalCertificate(QSslCertificate(cert));
        m_tls.setPrivateKey(QSslKey(key, QSsl::Ec));
    }

    QNetworkReply *send(const QByteArray &method, const QString &path, const QByteArray &body = {},
        const QByteArray &contentType = "application/json", const QByteArray &accept = {})
    {
        QNetworkRequest request(QUrl(m_url + path));
        request.setSslConfiguration(m_tls);
        request.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
        if (!accept.isEmpty()) {
            request.setRawHeader("Accept", accept);
        }
        return m_manager.sendCustomRequest(request, method, body);
    }

    /// Sends and waits for the whole reply; returns the status code and fills @p body.
    int call(const QByteArray &method, const QString &path, QByteArray *body, const QByteArray &payload = {},
        const QByteArray &contentType = "application/json")
    {
        QNetworkReply *reply = send(method, path, payload, contentType);
        QSignalSpy finished(reply, &QNetworkReply::finished);
        if (!reply->isFinished() && !finished.wait(20000)) {
            reply->deleteLater();
            return -1;
        }
        *body = reply->readAll();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        reply->deleteLater();
        return status;
    }

    QJsonObject json(const QString &path)
    {
        QByteArray body;
        call("GET", path, &body);
        return QJsonDocument::fromJson(body).object();
    }

private:
    QString m_url;
    QSslConfiguration m_tls;
    QNetworkAccessManager m_manager;
};

QByteArray podJson(const QByteArray &name, const QByteArray &image = "registry.example.com/app:1.0")
{
    return "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name +
        "\"},\"spec\":{\"containers\":[{\"name\":\"main\",\"image\":\"" + image + "\"}]}}";
}

/// Reads a streamed reply until @p needle shows up or the deadline passes.
QByteArray readUntil(QNetworkReply *reply, const QByteArray &needle, int timeoutMs)
{
    QByteArray seen;
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired() && !seen.contains(needle) && !reply->isFinished()) {
        QSignalSpy ready(reply, &QNetworkReply::readyRead);
        ready.wait(100);
        seen += reply->readAll();
    }
    seen += reply->readAll();
    return seen;
}

} // namespace

class TestKubeSimApi : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void selectorsFilterLikeTheRealServer()
    {
        SimProcess sim;
        QString error;
        QVERIFY2(sim.start({QStringLiteral("--namespaces"), QStringLiteral("3"), QStringLiteral("--nodes"),
                               QStringLiteral("5"), QStringLiteral("--pods"), QStringLiteral("200")},
                     &error),
            qPrintable(error));
        SimClient api(sim);
        const QJsonArray all = api.json(QStringLiteral("/api/v1/pods")).value(QLatin1String("items")).toArray();
        QCOMPARE(all.size(), 200);
        const QJsonObject first = all.first().toObject();
        const QString app = first.value(QLatin1String("metadata"))
                                .toObject()
                                .value(QLatin1String("labels"))
                                .toObject()
                                .value(QLatin1String("app"))
                                .toString();
        int sameApp = 0, running = 0, notRunning = 0, multus = 0;
        for (const QJsonValue &value : all) {
            const QJsonObject pod = value.toObject();
            const QJsonObject meta = pod.value(QLatin1String("metadata")).toObject();
            sameApp += meta.value(QLatin1String("labels")).toObject().value(QLatin1String("app")).toString() == app;
            const bool isRunning =
                pod.value(QLatin1String("status")).toObject().value(QLatin1String("phase")).toString() ==
                QLatin1String("Running");
            running += isRunning;
            notRunning += !isRunning;
            const QString status = meta.value(QLatin1String("annotations"))
                                       .toObject()
                                       .value(QLatin1String("k8s.v1.cni.cncf.io/network-status"))
                                       .toString();
            if (!status.isEmpty()) {
                ++multus;
                const QJsonArray interfaces = QJsonDocument::fromJson(status.toUtf8()).array();
                QVERIFY(interfaces.size() >= 2);
                QVERIFY(status.contains(QLatin1String("vhost-user")));
            }
        }
        QVERIFY2(multus > 0, "no pod carries a Multus network-status annotation");
        QVERIFY(running > 0 && notRunning > 0);
        const auto count = [&](const QString &query) {
            return api.json(QStringLiteral("/api/v1/pods?") + query).value(QLatin1String("items")).toArray().size();
        };
        QCOMPARE(count(QStringLiteral("labelSelector=app%3D") + app), sameApp);
        QCOMPARE(count(QStringLiteral("labelSelector=app%20in%20(") + app + QStringLiteral(",nothing)")), sameApp);
        QCOMPARE(count(QStringLiteral("labelSelector=app%20notin%20(") + app + QStringLiteral(")")), 200 - sameApp);
        QCOMPARE(count(QStringLiteral("labelSelector=app!%3D") + app), 200 - sameApp);
        QCOMPARE(count(QStringLiteral("labelSelector=app")), 200);
        QCOMPARE(count(QStringLiteral("labelSelector=!app")), 0);
        QCOMPARE(count(QStringLiteral("fieldSelector=status.phase%3DRunning")), running);
        QCOMPARE(count(QStringLiteral("fieldSelector=status.phase!%3DRunning")), notRunning);
        QCOMPARE(count(QStringLiteral("fieldSelector=metadata.name%3D") +
                     first.value(QLatin1String("metadata")).toObject().value(QLatin1String("name")).toString()),
            1);

        QByteArray body;
        QCOMPARE(api.call("GET", QStringLiteral("/api/v1/pods?fieldSelector=spec.bogus%3Dx"), &body), 400);
        QVERIFY2(body.contains("field label not supported: spec.bogus"), body.constData());
    }

    void invalidPodGets422WithCauses()
    {
        SimProcess sim;
        QString error;
        QVERIFY2(sim.start({}, &error), qPrintable(error));
        SimClient api(sim);
        QByteArray body;
        QCOMPARE(api.call("POST", QStringLiteral("/api/v1/namespaces/default/pods"), &body, podJson("Bad_Name")), 422);
        const QJsonObject status = QJsonDocument::fromJson(body).object();
        QCOMPARE(status.value(QLatin1String("kind")).toString(), QStringLiteral("Status"));
        QCOMPARE(status.value(QLatin1String("reason")).toString(), QStringLiteral("Invalid"));
        QCOMPARE(status.value(QLatin1String("code")).toInt(), 422);
        QVERIFY(status.value(QLatin1String("message"))
                    .toString()
                    .startsWith(QLatin1String("Pod \"Bad_Name\" is invalid: metadata.name: Invalid value: "
                                              "\"Bad_Name\": a lowercase RFC 1123 subdomain")));
        const QJsonObject cause = status.value(QLatin1String("details"))
                                      .toObject()
                                      .value(QLatin1String("causes"))
                                      .toArray()
                                      .first()
                                      .toObject();
        QCOMPARE(cause.value(QLatin1String("field")).toString(), QStringLiteral("metadata.name"));
        QCOMPARE(cause.value(QLatin1String("reason")).toString(), QStringLiteral("FieldValueInvalid"));

        QCOMPARE(api.call("POST", QStringLiteral("/api/v1/namespaces/nowhere/pods"), &body, podJson("ok")), 404);
        QVERIFY(body.contains("\"message\":\"namespaces \\\"nowhere\\\" not found\""));
    }

    void watchFromTooOldVersionIsExpired()
    {
        SimProcess sim;
        QString error;
        QVERIFY2(sim.start({QStringLiteral("--expire-after-events"), QStringLiteral("3"), QStringLiteral("--nodes"),
                               QStringLiteral("1")},
                     &error),
            qPrintable(error));
        SimClient api(sim);
        const QString start = api.json(QStringLiteral("/api/v1/namespaces/default/pods"))
                                  .value(QLatin1String("metadata"))
                                  .toObject()
                                  .value(QLatin1String("resourceVersion"))
                                  .toString();

        // An open watch gets an ERROR event once it is more than 3 events old.
        QNetworkReply *watch =
            api.send("GET", QStringLiteral("/api/v1/namespaces/default/pods?watch=1&resourceVersion=") + start);
        QByteArray body;
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(api.call("POST", QStringLiteral("/api/v1/namespaces/default/pods"), &body,
                         podJson("churn-" + QByteArray::number(i), "registry.example.com/does-not-exist:1")),
                201);
        }
        const QByteArray events = readUntil(watch, "\"type\":\"ERROR\"", 10000);
        QVERIFY2(events.contains("\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                                 "\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version"),
            events.constData());
        QVERIFY(events.contains("\"reason\":\"Expired\",\"code\":410"));
        watch->deleteLater();

        // Starting from that version now is refused outright.
        QCOMPARE(api.call("GET", QStringLiteral("/api/v1/namespaces/default/pods?watch=true&resourceVersion=") + start,
                     &body),
            410);
        QVERIFY2(body.contains("\"reason\":\"Expired\""), body.constData());
    }

    void bookmarksArriveAndDroppedWatchesClose()
    {
        SimProcess sim;
        QString error;
        QVERIFY2(sim.start({QStringLiteral("--bookmark-interval"), QStringLiteral("200"),
                               QStringLiteral("--drop-watch-after"), QStringLiteral("2")},
                     &error),
            qPrintable(error));
        SimClient api(sim);
        QNetworkReply *watch =
            api.send("GET", QStringLiteral("/api/v1/pods?watch=true&allowWatchBookmarks=true&resourceVersion=0"));
        const QByteArray events = readUntil(watch, "BOOKMARK", 5000);
        QVERIFY2(events.contains("{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"apiVersion\":\"v1\","
                                 "\"metadata\":{\"resourceVersion\":\""),
            events.constData());
        QSignalSpy finished(watch, &QNetworkReply::finished);
        QVERIFY(watch->isFinished() || finished.wait(10000));
        QVERIFY2(watch->error() != QNetworkReply::NoError, "a dropped watch ended like a clean one");
        watch->deleteLater();
    }

    void logFollowStreamsAppendedLines()
    {
        SimProcess sim;
        QString error;
        QVERIFY2(sim.start({QStringLiteral("--nodes"), QStringLiteral("1"), QStringLiteral("--start-delay"),
                               QStringLiteral("50")},
                     &error),
            qPrintable(error));
        SimClient api(sim);
        QByteArray body;
        QCOMPARE(api.call("POST", QStringLiteral("/api/v1/namespaces/default/pods"), &body, podJson("talker")), 201);
        QDeadlineTimer deadline(10000);
        while (!deadline.hasExpired() &&
            api.json(QStringLiteral("/api/v1/namespaces/default/pods/talker"))
                    .value(QLatin1String("status"))
                    .toObject()
                    .value(QLatin1String("phase"))
                    .toString() != QLatin1String("Running")) {
            QTest::qWait(50);
        }
        QNetworkReply *follow =
            api.send("GET", QStringLiteral("/api/v1/namespaces/default/pods/talker/log?follow=true"));
        QVERIFY(readUntil(follow, "starting talker", 5000).contains("starting talker"));
        QCOMPARE(api.call("POST", QStringLiteral("/sim/logs"), &body,
                     "{\"namespace\":\"default\",\"name\":\"talker\",\"line\":\"{\\\"ready\\\":true}\"}"),
            200);
        QVERIFY(readUntil(follow, "{\"ready\":true}", 5000).contains("{\"ready\":true}"));

        // Deleting the pod ends the stream cleanly.
        QCOMPARE(api.call("DELETE", QStringLiteral("/api/v1/namespaces/default/pods/talker"), &body,
                     "{\"gracePeriodSeconds\":0}"),
            200);
        QSignalSpy finished(follow, &QNetworkReply::finished);
        QVERIFY(follow->isFinished() || finished.wait(5000));
        QCOMPARE(follow->error(), QNetworkReply::NoError);
        follow->deleteLater();
    }

    void mergePatchChangesAnnotations()
    {
        SimProcess sim;
        QString error;
        QVERIFY2(sim.start({QStringLiteral("--nodes"), QStringLiteral("1")}, &error), qPrintable(error));
        SimClient api(sim);
        QByteArray body;
        QCOMPARE(api.call("POST", QStringLiteral("/api/v1/namespaces/default/pods"), &body, podJson("patched")), 201);
        QCOMPARE(api.call("PATCH", QStringLiteral("/api/v1/namespaces/default/pods/patched"), &body,
                     "{\"metadata\":{\"annotations\":{\"podtap.io/heartbeat\":\"2026-01-01T00:00:00Z\"}}}",
                     "application/merge-patch+json"),
            200);
        QCOMPARE(api.call("PATCH", QStringLiteral("/api/v1/namespaces/default/pods/patched"), &body,
                     "{\"metadata\":{\"labels\":{\"app\":null,\"tier\":\"web\"}}}",
                     "application/strategic-merge-patch+json"),
            200);
        const QJsonObject meta = api.json(QStringLiteral("/api/v1/namespaces/default/pods/patched"))
                                     .value(QLatin1String("metadata"))
                                     .toObject();
        QCOMPARE(
            meta.value(QLatin1String("annotations")).toObject().value(QLatin1String("podtap.io/heartbeat")).toString(),
            QStringLiteral("2026-01-01T00:00:00Z"));
        QCOMPARE(meta.value(QLatin1String("labels")).toObject(),
            QJsonObject({{QStringLiteral("tier"), QStringLiteral("web")}}));
    }
};

QTEST_GUILESS_MAIN(TestKubeSimApi)
#include "tst_kube_sim_api.moc"
