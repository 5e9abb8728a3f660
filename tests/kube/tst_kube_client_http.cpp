// SPDX-License-Identifier: Apache-2.0
// KubeClient over plain HTTP against a scripted local server: Warning headers, watch lines
// split across TCP reads, and timeouts (ordinary requests have one, streams do not).
#include "kube/kube_client.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QtTest>

using namespace podtap::kube;

class ScriptedServer final : public QObject
{
    Q_OBJECT

public:
    ScriptedServer()
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onRequest(socket); });
            }
        });
    }
    quint16 port() const { return m_server.serverPort(); }

private:
    void onRequest(QTcpSocket *socket)
    {
        const QByteArray request = socket->readAll();
        const QByteArray path = request.split(' ').value(1);
        if (path.startsWith("/warn")) {
            socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Warning: 299 - \"v1 Widget is deprecated; use v2\"\r\n"
                          "Warning: 299 - \"spec.x: a \\\"quoted\\\" word\"\r\n"
                          "Content-Length: 2\r\n\r\n{}");
        } else if (path.startsWith("/watch")) {
            socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
            // One line over three reads, then two lines in one read.
            const QList<QByteArray> pieces {
                "{\"type\":\"ADDED\",", "\"object\":{\"n\":1}", "}\n{\"a\":2}\n{\"b\":3}\n"};
            for (int i = 0; i < pieces.size(); ++i) {
                QTimer::singleShot(150 * (i + 1), socket, [socket, piece = pieces[i]] {
                    socket->write(QByteArray::number(piece.size(), 16) + "\r\n" + piece + "\r\n");
                    socket->flush();
                });
            }
            // Quiet for longer than the request timeout, then one more line: streams have no timeout.
            QTimer::singleShot(1500, socket, [socket] {
                const QByteArray late = "{\"late\":true}\n";
                socket->write(QByteArray::number(late.size(), 16) + "\r\n" + late + "\r\n0\r\n\r\n");
                socket->flush();
            });
        }
        // "/silent": never answer.
    }

    QTcpServer m_server;
};

class TestKubeClientHttp : public QObject
{
    Q_OBJECT

    RestConfig configFor(const ScriptedServer &server)
    {
        RestConfig config;
        config.server = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(server.port()));
        return config;
    }

private Q_SLOTS:
    void warningHeadersAreSurfaced()
    {
        ScriptedServer server;
        KubeClient client(configFor(server));
        QSignalSpy warnings(&client, &KubeClient::warningReceived);
        KubeReply *reply = client.get(QStringLiteral("/warn"));
        QSignalSpy finished(reply, &KubeReply::finished);
        QVERIFY(finished.wait(5000));
        QVERIFY(reply->ok());
        QCOMPARE(reply->warnings(),
            (QStringList {
                QStringLiteral("v1 Widget is deprecated; use v2"), QStringLiteral("spec.x: a \"quoted\" word")}));
        QCOMPARE(warnings.count(), 2);
    }

    void streamFramesLinesAcrossReadsAndNeverTimesOut()
    {
        ScriptedServer server;
        KubeClient client(configFor(server));
        client.setRequestTimeout(700);
        KubeStream *stream = client.stream(QStringLiteral("/watch"));
        QSignalSpy lines(stream, &KubeStream::lineReceived);
        QSignalSpy closed(stream, &KubeStream::closed);
        QVERIFY(closed.wait(5000));
        QCOMPARE(lines.count(), 4);
        QCOMPARE(lines.at(0).first().toByteArray(), QByteArray("{\"type\":\"ADDED\",\"object\":{\"n\":1}}"));
        QCOMPARE(lines.at(1).first().toByteArray(), QByteArray("{\"a\":2}"));
        QCOMPARE(lines.at(2).first().toByteArray(), QByteArray("{\"b\":3}"));
        QCOMPARE(lines.at(3).first().toByteArray(), QByteArray("{\"late\":true}"));
        QVERIFY(!closed.first().first().value<ApiError>().isError()); // a clean end
    }

    void ordinaryRequestsTimeOut()
    {
        ScriptedServer server;
        KubeClient client(configFor(server));
        client.setRequestTimeout(300);
        KubeReply *reply = client.get(QStringLiteral("/silent"));
        QSignalSpy finished(reply, &KubeReply::finished);
        QVERIFY(finished.wait(5000));
        QCOMPARE(reply->error().kind, ApiError::Kind::Network);
        QVERIFY(reply->error().message.contains(QStringLiteral("did not answer in time")));
    }
};

QTEST_GUILESS_MAIN(TestKubeClientHttp)
#include "tst_kube_client_http.moc"
