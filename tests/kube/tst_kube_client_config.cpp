// SPDX-License-Identifier: Apache-2.0
// How a KubeClient turns a RestConfig's TLS material into a usable configuration: every key
// format kubeconfigs carry, and a clear error naming the fix for the ones it cannot use.
#include "kube/kube_client.h"

#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QtTest>

using namespace podtap::kube;

class TestKubeClientConfig : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    QByteArray openssl(const QStringList &args)
    {
        QProcess process;
        process.setWorkingDirectory(m_dir.path());
        process.start(QStringLiteral("openssl"), args);
        if (!process.waitForFinished(30000) || process.exitCode() != 0) {
            qWarning() << "openssl" << args << process.readAllStandardError();
            return {};
        }
        return process.readAllStandardOutput();
    }

    QByteArray readFile(const QString &name)
    {
        QFile file(m_dir.filePath(name));
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }

    /// A self-signed certificate for the key in @p keyFile.
    QByteArray certFor(const QString &keyFile)
    {
        openssl({QStringLiteral("req"), QStringLiteral("-new"), QStringLiteral("-x509"), QStringLiteral("-key"),
            keyFile, QStringLiteral("-subj"), QStringLiteral("/CN=tester"), QStringLiteral("-days"),
            QStringLiteral("1"), QStringLiteral("-out"), keyFile + QStringLiteral(".crt")});
        return readFile(keyFile + QStringLiteral(".crt"));
    }

    RestConfig baseConfig()
    {
        RestConfig config;
        config.contextName = QStringLiteral("test");
        config.server = QUrl(QStringLiteral("https://192.0.2.10:6443"));
        return config;
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (QStandardPaths::findExecutable(QStringLiteral("openssl")).isEmpty()) {
            QSKIP("the openssl command is needed to make test keys (scripts/install-deps.sh test)");
        }
        QVERIFY(m_dir.isValid());
    }

    void everyKeyFormatIsAccepted_data()
    {
        QTest::addColumn<QStringList>("generate");
        QTest::newRow("RSA PKCS#1") << QStringList {QStringLiteral("genrsa"), QStringLiteral("-traditional"),
            QStringLiteral("-out"), QStringLiteral("rsa1.key"), QStringLiteral("2048")};
        QTest::newRow("RSA PKCS#8") << QStringList {QStringLiteral("genpkey"), QStringLiteral("-algorithm"),
            QStringLiteral("RSA"), QStringLiteral("-out"), QStringLiteral("rsa8.key")};
        QTest::newRow("EC SEC1") << QStringList {QStringLiteral("ecparam"), QStringLiteral("-name"),
            QStringLiteral("prime256v1"), QStringLiteral("-genkey"), QStringLiteral("-noout"), QStringLiteral("-out"),
            QStringLiteral("ec1.key")};
        QTest::newRow("EC PKCS#8") << QStringList {QStringLiteral("genpkey"), QStringLiteral("-algorithm"),
            QStringLiteral("EC"), QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:P-384"),
            QStringLiteral("-out"), QStringLiteral("ec8.key")};
    }

    void everyKeyFormatIsAccepted()
    {
        QFETCH(QStringList, generate);
        openssl(generate);
        const QString keyFile = generate.at(generate.indexOf(QStringLiteral("-out")) + 1);
        RestConfig config = baseConfig();
        config.clientKeyPem = readFile(keyFile);
        config.clientCertificatePem = certFor(keyFile);
        QVERIFY(!config.clientKeyPem.isEmpty());
        QVERIFY(!config.clientCertificatePem.isEmpty());
        KubeClient client(config);
        QVERIFY2(!client.configError().isError(), qPrintable(client.configError().message));
        QVERIFY(!client.isInsecure());
    }

    void encryptedKeyNamesTheFix()
    {
        openssl({QStringLiteral("genpkey"), QStringLiteral("-algorithm"), QStringLiteral("EC"),
            QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:P-256"), QStringLiteral("-aes256"),
            QStringLiteral("-pass"), QStringLiteral("pass:secret"), QStringLiteral("-out"), QStringLiteral("enc.key")});
        RestConfig config = baseConfig();
        config.clientKeyPem = readFile(QStringLiteral("enc.key"));
        QVERIFY(config.clientKeyPem.contains("ENCRYPTED"));
        openssl({QStringLiteral("ecparam"), QStringLiteral("-name"), QStringLiteral("prime256v1"),
            QStringLiteral("-genkey"), QStringLiteral("-noout"), QStringLiteral("-out"), QStringLiteral("plain.key")});
        config.clientCertificatePem = certFor(QStringLiteral("plain.key"));
        KubeClient client(config);
        QCOMPARE(client.configError().kind, ApiError::Kind::Config);
        QVERIFY(client.configError().message.contains(QStringLiteral("passphrase")));
        QVERIFY(client.configError().message.contains(QStringLiteral("context test")));
    }

    void garbageCaFailsEveryRequestWithTheReason()
    {
        RestConfig config = baseConfig();
        config.caPem = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n";
        KubeClient client(config);
        QVERIFY(client.configError().message.contains(QStringLiteral("certificate-authority")));
        KubeReply *reply = client.get(QStringLiteral("/version"));
        QSignalSpy finished(reply, &KubeReply::finished);
        QVERIFY(finished.wait(5000));
        QCOMPARE(reply->error().kind, ApiError::Kind::Config);
    }

    void insecureIsReported()
    {
        RestConfig config = baseConfig();
        config.insecureSkipTlsVerify = true;
        KubeClient client(config);
        QVERIFY(client.isInsecure());
    }

    void connectionRefusedNamesServerAndFix()
    {
        RestConfig config = baseConfig();
        config.server = QUrl(QStringLiteral("https://127.0.0.1:1"));
        KubeClient client(config);
        KubeReply *reply = client.get(QStringLiteral("/version"));
        QSignalSpy finished(reply, &KubeReply::finished);
        QVERIFY(finished.wait(10000));
        QCOMPARE(reply->error().kind, ApiError::Kind::Network);
        QVERIFY(reply->error().message.contains(QStringLiteral("https://127.0.0.1:1")));
        QVERIFY(reply->error().message.contains(QStringLiteral("connection refused")));
        QVERIFY(reply->error().message.contains(QStringLiteral("Check")));
    }

    void httpsProxyIsRefusedBeforeAnythingIsSent()
    {
        // A listener standing in for the proxy: nothing, least of all Proxy-Authorization, may reach it.
        QTcpServer proxy;
        QVERIFY(proxy.listen(QHostAddress::LocalHost));
        RestConfig config = baseConfig();
        config.clusterName = QStringLiteral("corp-cluster");
        config.proxyUrl = QUrl(QStringLiteral("https://alice:hunter2@127.0.0.1:%1").arg(proxy.serverPort()));
        KubeClient client(config);
        KubeReply *reply = client.get(QStringLiteral("/version"));
        QSignalSpy finished(reply, &KubeReply::finished);
        QVERIFY(finished.wait(5000));
        QCOMPARE(reply->error().kind, ApiError::Kind::Config);
        const QString message = reply->error().message;
        QVERIFY2(message.contains(QLatin1String("corp-cluster")), qPrintable(message));
        QVERIFY2(message.contains(QLatin1String("https://")), qPrintable(message));
        QVERIFY2(message.contains(QLatin1String("http://")), qPrintable(message));
        QVERIFY2(!message.contains(QLatin1String("hunter2")), qPrintable(message));
        QVERIFY2(!proxy.waitForNewConnection(300), "the client connected to an https:// proxy in the clear");
    }

    void execUserWithoutProviderIsAConfigError()
    {
        RestConfig config = baseConfig();
        config.server = QUrl(QStringLiteral("https://127.0.0.1:1"));
        config.userName = QStringLiteral("cloud-user");
        config.exec = ExecConfig {};
        config.exec->command = QStringLiteral("cloud-login");
        KubeClient client(config);
        KubeReply *reply = client.get(QStringLiteral("/version"));
        QSignalSpy finished(reply, &KubeReply::finished);
        QVERIFY(finished.wait(5000));
        QCOMPARE(reply->error().kind, ApiError::Kind::Config);
        QVERIFY(reply->error().message.contains(QStringLiteral("cloud-login")));
    }
};

QTEST_GUILESS_MAIN(TestKubeClientConfig)
#include "tst_kube_client_config.moc"
