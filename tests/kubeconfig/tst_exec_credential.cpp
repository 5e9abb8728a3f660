// SPDX-License-Identifier: Apache-2.0
#include "kube/exec_credential.h"
#include "kube/kubeconfig.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap::kube;

namespace {

const QString kV1 = QStringLiteral("client.authentication.k8s.io/v1");
const QString kV1beta1 = QStringLiteral("client.authentication.k8s.io/v1beta1");

/// Writes an executable shell script; every plugin run appends a line to runs.log beside it.
QString writePlugin(const QTemporaryDir &dir, const QString &name, const QByteArray &body)
{
    const QString path = dir.filePath(name);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        qFatal("cannot write %s", qPrintable(path));
    }
    file.write("#!/bin/sh\necho run >> '" + dir.filePath(QStringLiteral("runs.log")).toUtf8() + "'\n" + body);
    file.close();
    file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    return path;
}

int runCount(const QTemporaryDir &dir)
{
    QFile file(dir.filePath(QStringLiteral("runs.log")));
    if (!file.open(QIODevice::ReadOnly)) {
        return 0;
    }
    return static_cast<int>(file.readAll().count('\n'));
}

QByteArray credentialJson(const QString &apiVersion, const QByteArray &status)
{
    return "cat <<'EOF'\n{\"kind\":\"ExecCredential\",\"apiVersion\":\"" + apiVersion.toUtf8() +
        "\",\"status\":" + status + "}\nEOF\n";
}

ExecConfig execConfig(const QString &command, const QString &apiVersion = kV1)
{
    ExecConfig exec;
    exec.apiVersion = apiVersion;
    exec.command = command;
    exec.interactiveMode = QStringLiteral("Never");
    return exec;
}

ExecCredentialOptions quietOptions()
{
    ExecCredentialOptions options;
    options.environment = QProcessEnvironment();
    options.environment.insert(QStringLiteral("PATH"), QStringLiteral("/usr/bin:/bin"));
    options.timeoutMs = 10000;
    return options;
}

RestConfig someCluster()
{
    RestConfig cluster;
    cluster.userName = QStringLiteral("plugin-user");
    cluster.server = QUrl(QStringLiteral("https://192.0.2.10:6443"));
    return cluster;
}

} // namespace

/// @brief Exec credential plugins run as client-go runs them, are cached until they expire,
/// and fail with errors that help without leaking credentials.
class TestExecCredential final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void v1PluginReturnsAToken()
    {
        QTemporaryDir dir;
        const QString plugin =
            writePlugin(dir, QStringLiteral("plugin"), credentialJson(kV1, "{\"token\":\"tok-v1\"}"));
        ExecCredentialProvider provider(execConfig(plugin), someCluster(), quietOptions());
        const ExecCredentialResult result = provider.credential();
        QVERIFY2(result.credential, qPrintable(result.error));
        QCOMPARE(result.credential->token, QStringLiteral("tok-v1"));
        QVERIFY(!result.credential->expiration);
    }

    void v1beta1PluginReturnsAClientCertificate()
    {
        QTemporaryDir dir;
        const QString plugin = writePlugin(dir, QStringLiteral("plugin"),
            credentialJson(kV1beta1, "{\"clientCertificateData\":\"CERT PEM\",\"clientKeyData\":\"KEY PEM\"}"));
        ExecCredentialProvider provider(execConfig(plugin, kV1beta1), someCluster(), quietOptions());
        const ExecCredentialResult result = provider.credential();
        QVERIFY2(result.credential, qPrintable(result.error));
        QCOMPARE(result.credential->clientCertificatePem, QByteArray("CERT PEM"));
        QCOMPARE(result.credential->clientKeyPem, QByteArray("KEY PEM"));
    }

    void argumentsAndEnvironmentReachThePlugin()
    {
        QTemporaryDir dir;
        const QString plugin = writePlugin(dir, QStringLiteral("plugin"),
            "printf '{\"kind\":\"ExecCredential\",\"apiVersion\":\"client.authentication.k8s.io/v1\",'\n"
            "printf '\"status\":{\"token\":\"%s|%s|%s|%s\"}}' \"$1\" \"$INHERITED\" \"$OVERRIDDEN\" \"$ADDED\"\n");
        ExecConfig exec = execConfig(plugin);
        exec.args = {QStringLiteral("first arg; not a shell")};
        exec.env = {{QStringLiteral("OVERRIDDEN"), QStringLiteral("from-kubeconfig")},
            {QStringLiteral("ADDED"), QStringLiteral("added")}};
        ExecCredentialOptions options = quietOptions();
        options.environment.insert(QStringLiteral("INHERITED"), QStringLiteral("inherited"));
        options.environment.insert(QStringLiteral("OVERRIDDEN"), QStringLiteral("from-process"));
        ExecCredentialProvider provider(exec, someCluster(), options);
        const ExecCredentialResult result = provider.credential();
        QVERIFY2(result.credential, qPrintable(result.error));
        QCOMPARE(result.credential->token, QStringLiteral("first arg; not a shell|inherited|from-kubeconfig|added"));
    }

    void execInfoCarriesClusterWhenAsked()
    {
        QTemporaryDir dir;
        const QString infoFile = dir.filePath(QStringLiteral("info.json"));
        const QString plugin = writePlugin(dir, QStringLiteral("plugin"),
            "printf %s \"$KUBERNETES_EXEC_INFO\" > '" + infoFile.toUtf8() + "'\n" +
                credentialJson(kV1, "{\"token\":\"t\"}"));
        // Through the loader, so the cluster's exec extension becomes spec.cluster.config.
        const QString kubeconfig = dir.filePath(QStringLiteral("config"));
        QFile file(kubeconfig);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("clusters:\n- name: c\n  cluster:\n    server: https://192.0.2.10:6443\n"
                   "    certificate-authority-data: Q0EgUEVN\n    tls-server-name: api.example\n"
                   "    proxy-url: http://198.51.100.3:3128\n    extensions:\n"
                   "    - name: client.authentication.k8s.io/exec\n      extension:\n        audience: podtap\n"
                   "users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                   "      command: " +
            plugin.toUtf8() +
            "\n      interactiveMode: IfAvailable\n      provideClusterInfo: true\n"
            "contexts:\n- name: x\n  context: {cluster: c, user: u}\n");
        file.close();
        KubeconfigLoadOptions load;
        load.explicitPath = kubeconfig;
        const Kubeconfig config = Kubeconfig::load(load);
        const KubeconfigContext *x = config.context(QStringLiteral("x"));
        QVERIFY2(x && x->config && x->config->exec, x ? qPrintable(x->error) : "missing");
        ExecCredentialProvider provider(*x->config->exec, *x->config, quietOptions());
        QVERIFY2(provider.credential().credential, qPrintable(provider.credential().error));

        QFile info(infoFile);
        QVERIFY(info.open(QIODevice::ReadOnly));
        const QJsonObject root = QJsonDocument::fromJson(info.readAll()).object();
        QCOMPARE(root.value(QStringLiteral("kind")).toString(), QStringLiteral("ExecCredential"));
        QCOMPARE(root.value(QStringLiteral("apiVersion")).toString(), kV1);
        const QJsonObject spec = root.value(QStringLiteral("spec")).toObject();
        QCOMPARE(spec.value(QStringLiteral("interactive")), QJsonValue(false));
        const QJsonObject cluster = spec.value(QStringLiteral("cluster")).toObject();
        QCOMPARE(cluster.value(QStringLiteral("server")).toString(), QStringLiteral("https://192.0.2.10:6443"));
        QCOMPARE(cluster.value(QStringLiteral("certificate-authority-data")).toString(), QStringLiteral("Q0EgUEVN"));
        QCOMPARE(cluster.value(QStringLiteral("tls-server-name")).toString(), QStringLiteral("api.example"));
        QCOMPARE(cluster.value(QStringLiteral("proxy-url")).toString(), QStringLiteral("http://198.51.100.3:3128"));
        QCOMPARE(cluster.value(QStringLiteral("config")).toObject().value(QStringLiteral("audience")).toString(),
            QStringLiteral("podtap"));
    }

    void execInfoOmitsClusterByDefault()
    {
        ExecCredentialProvider provider(execConfig(QStringLiteral("x")), someCluster(), quietOptions());
        const QJsonObject spec = QJsonDocument::fromJson(provider.execInfoJson()).object().value(u"spec").toObject();
        QVERIFY(!spec.contains(QStringLiteral("cluster")));
        QCOMPARE(spec.value(QStringLiteral("interactive")), QJsonValue(false));
    }

    void credentialIsCachedUntilItExpires()
    {
        QTemporaryDir dir;
        const QString future = QDateTime::currentDateTimeUtc().addSecs(3600).toString(Qt::ISODate);
        const QString plugin = writePlugin(dir, QStringLiteral("plugin"),
            credentialJson(kV1, "{\"token\":\"cached\",\"expirationTimestamp\":\"" + future.toUtf8() + "\"}"));
        ExecCredentialProvider provider(execConfig(plugin), someCluster(), quietOptions());
        QVERIFY(provider.credential().credential);
        QVERIFY(provider.credential().credential);
        QCOMPARE(runCount(dir), 1);
        QCOMPARE(provider.credential().credential->expiration->toString(Qt::ISODate), future);
        provider.invalidate();
        QVERIFY(provider.credential().credential);
        QCOMPARE(runCount(dir), 2);
    }

    void expiredCredentialIsFetchedAgain()
    {
        QTemporaryDir dir;
        const QString plugin = writePlugin(dir, QStringLiteral("plugin"),
            credentialJson(kV1, "{\"token\":\"old\",\"expirationTimestamp\":\"2001-01-01T00:00:00Z\"}"));
        ExecCredentialProvider provider(execConfig(plugin), someCluster(), quietOptions());
        QVERIFY(provider.credential().credential);
        QVERIFY(provider.credential().credential);
        QCOMPARE(runCount(dir), 2);
    }

    void interactiveAlwaysIsRefusedWithTheInstallHint()
    {
        QTemporaryDir dir;
        const QString plugin = writePlugin(dir, QStringLiteral("plugin"), credentialJson(kV1, "{\"token\":\"t\"}"));
        ExecConfig exec = execConfig(plugin);
        exec.interactiveMode = QStringLiteral("Always");
        exec.installHint = QStringLiteral("Install corp-login from the portal.");
        ExecCredentialProvider provider(exec, someCluster(), quietOptions());
        const ExecCredentialResult result = provider.credential();
        QVERIFY(!result.credential);
        QVERIFY2(result.error.contains(QLatin1String("interactiveMode: Always")), qPrintable(result.error));
        QVERIFY2(result.error.contains(exec.installHint), qPrintable(result.error));
        QCOMPARE(runCount(dir), 0);
    }

    void missingCommandShowsTheInstallHint()
    {
        ExecConfig exec = execConfig(QStringLiteral("podtap-no-such-plugin"));
        exec.installHint = QStringLiteral("Get it with: apt-get install podtap-no-such-plugin");
        ExecCredentialProvider provider(exec, someCluster(), quietOptions());
        const ExecCredentialResult result = provider.credential();
        QVERIFY(!result.credential);
        QVERIFY2(result.error.contains(QLatin1String("not found on PATH")), qPrintable(result.error));
        QVERIFY2(result.error.contains(exec.installHint), qPrintable(result.error));
        QVERIFY2(result.error.contains(QLatin1String("plugin-user")), qPrintable(result.error));
    }

    void commandIsFoundOnTheLoginShellPath()
    {
        QTemporaryDir dir;
        writePlugin(
            dir, QStringLiteral("login-bin/podtap-login-plugin"), credentialJson(kV1, "{\"token\":\"via-login\"}"));
        // A stand-in login shell that prints the PATH a terminal would have.
        QFile shell(dir.filePath(QStringLiteral("fake-shell")));
        QVERIFY(shell.open(QIODevice::WriteOnly));
        shell.write("#!/bin/sh\necho 'welcome banner'\nprintf %s '/nonexistent:" +
            dir.filePath(QStringLiteral("login-bin")).toUtf8() + "'\n");
        shell.close();
        shell.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        ExecCredentialOptions options = quietOptions();
        options.environment.insert(QStringLiteral("SHELL"), shell.fileName());
        ExecCredentialProvider provider(execConfig(QStringLiteral("podtap-login-plugin")), someCluster(), options);
        const ExecCredentialResult result = provider.credential();
        QVERIFY2(result.credential, qPrintable(result.error));
        QCOMPARE(result.credential->token, QStringLiteral("via-login"));
    }

    void failingPluginShowsRedactedStderr()
    {
        QTemporaryDir dir;
        const QString plugin = writePlugin(dir, QStringLiteral("plugin"),
            "echo 'login failed for alice; token=SECRET1 Authorization: Bearer SECRET2' >&2\n"
            "echo 'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJTRUNSRVQzIn0.c2lnbmF0dXJl' >&2\n"
            "echo '{\"status\":{\"token\":\"SECRET4\"}}'\nexit 3\n");
        ExecCredentialProvider provider(execConfig(plugin), someCluster(), quietOptions());
        const ExecCredentialResult result = provider.credential();
        QVERIFY(!result.credential);
        QVERIFY2(result.error.contains(QLatin1String("exited with code 3")), qPrintable(result.error));
        QVERIFY2(result.error.contains(QLatin1String("login failed for alice")), qPrintable(result.error));
        QVERIFY2(!result.error.contains(QLatin1String("SECRET")), qPrintable(result.error));
        QVERIFY2(!result.error.contains(QLatin1String("eyJzdWIi")), qPrintable(result.error));
    }

    void basicAuthorizationHeaderIsRedactedWhole_data()
    {
        QTest::addColumn<QString>("line");
        QTest::addColumn<QString>("secret");
        QTest::newRow("basic") << QStringLiteral("request failed: Authorization: Basic dXNlcjpwYXNz") << "dXNlcjpwYXNz";
        QTest::newRow("basic-lower") << QStringLiteral("authorization=basic c2VjcmV0OnNlY3JldA==") << "c2VjcmV0";
        QTest::newRow("proxy") << QStringLiteral("Proxy-Authorization: Basic YWxpY2U6aHVudGVyMg==") << "YWxpY2U";
        QTest::newRow("quoted") << QStringLiteral("{\"Authorization\": \"Negotiate TlRMTVNTUAAB\"}") << "TlRMTVNT";
    }

    void basicAuthorizationHeaderIsRedactedWhole()
    {
        QFETCH(QString, line);
        QFETCH(QString, secret);
        const QString redacted = ExecCredentialProvider::redact(line);
        QVERIFY2(!redacted.contains(secret), qPrintable(redacted));
        QVERIFY2(redacted.contains(QLatin1String("REDACTED")), qPrintable(redacted));
    }

    void slowPluginTimesOut()
    {
        QTemporaryDir dir;
        const QString plugin = writePlugin(dir, QStringLiteral("plugin"), "exec sleep 30\n");
        ExecCredentialOptions options = quietOptions();
        options.timeoutMs = 500;
        ExecCredentialProvider provider(execConfig(plugin), someCluster(), options);
        QElapsedTimer timer;
        timer.start();
        const ExecCredentialResult result = provider.credential();
        QVERIFY(!result.credential);
        QVERIFY2(result.error.contains(QLatin1String("did not finish")), qPrintable(result.error));
        QVERIFY(timer.elapsed() < 10000);
    }

    void wrongApiVersionOrGarbageIsRejectedWithoutEchoingOutput_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("expected");
        QTest::newRow("other version") << credentialJson(kV1beta1, "{\"token\":\"SECRET\"}") << "returned version";
        QTest::newRow("not json") << QByteArray("echo 'SECRET garbage'\n") << "not an ExecCredential";
        QTest::newRow("no credential") << credentialJson(kV1, "{}") << "neither status.token";
        QTest::newRow("bad expiry") << credentialJson(kV1, "{\"token\":\"SECRET\",\"expirationTimestamp\":\"soon\"}")
                                    << "RFC 3339";
        QTest::newRow("cert without key")
            << credentialJson(kV1, "{\"clientCertificateData\":\"SECRET\"}") << "without its key";
    }

    void wrongApiVersionOrGarbageIsRejectedWithoutEchoingOutput()
    {
        QFETCH(QByteArray, body);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString plugin = writePlugin(dir, QStringLiteral("plugin"), body);
        ExecCredentialProvider provider(execConfig(plugin), someCluster(), quietOptions());
        const ExecCredentialResult result = provider.credential();
        QVERIFY(!result.credential);
        QVERIFY2(result.error.contains(expected), qPrintable(result.error));
        QVERIFY2(!result.error.contains(QLatin1String("SECRET")), qPrintable(result.error));
    }
};

QTEST_GUILESS_MAIN(TestExecCredential)
#include "tst_exec_credential.moc"
