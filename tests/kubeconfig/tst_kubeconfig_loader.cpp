// SPDX-License-Identifier: Apache-2.0
#include "kube/kubeconfig.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap::kube;

namespace {

QString writeFile(const QTemporaryDir &dir, const QString &relative, const QByteArray &content)
{
    const QString path = dir.filePath(relative);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size()) {
        qFatal("cannot write %s", qPrintable(path));
    }
    return path;
}

/// Options that see only @p kubeconfigEnv (and a home without a kubeconfig).
KubeconfigLoadOptions optionsWith(const QTemporaryDir &dir, const QString &kubeconfigEnv)
{
    KubeconfigLoadOptions options;
    options.environment = QProcessEnvironment();
    if (!kubeconfigEnv.isNull()) {
        options.environment.insert(QStringLiteral("KUBECONFIG"), kubeconfigEnv);
    }
    options.home = dir.filePath(QStringLiteral("home"));
    options.inClusterRoot = dir.filePath(QStringLiteral("no-service-account"));
    return options;
}

Kubeconfig loadExplicit(const QString &path)
{
    KubeconfigLoadOptions options;
    options.environment = QProcessEnvironment();
    options.explicitPath = path;
    return Kubeconfig::load(options);
}

QByteArray simpleConfig(const QByteArray &context, const QByteArray &server)
{
    return "clusters:\n- name: c\n  cluster:\n    server: " + server + "\ncontexts:\n- name: " + context +
        "\n  context:\n    cluster: c\ncurrent-context: " + context + "\n";
}

QString allErrors(const Kubeconfig &config)
{
    QStringList errors = config.fileErrors;
    for (const auto &context : config.contexts) {
        errors << context.error;
    }
    return errors.join(QLatin1Char('\n'));
}

} // namespace

/// @brief Kubeconfig::load follows client-go: which files, how they merge, how entries resolve,
/// and errors that name file, entry and field without leaking secrets.
class TestKubeconfigLoader final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void explicitPathIsUsedAlone()
    {
        QTemporaryDir dir;
        const QString a = writeFile(dir, QStringLiteral("a.yaml"), simpleConfig("ctx-a", "https://192.0.2.1"));
        const QString b = writeFile(dir, QStringLiteral("b.yaml"), simpleConfig("ctx-b", "https://192.0.2.2"));
        KubeconfigLoadOptions options = optionsWith(dir, b);
        options.explicitPath = a;
        const Kubeconfig config = Kubeconfig::load(options);
        QCOMPARE(config.files, QStringList {a});
        QCOMPARE(config.contexts.size(), 1);
        QCOMPARE(config.currentContext, QStringLiteral("ctx-a"));
    }

    void explicitPathThatDoesNotExistIsAnError()
    {
        QTemporaryDir dir;
        const Kubeconfig config = loadExplicit(dir.filePath(QStringLiteral("nope.yaml")));
        QCOMPARE(config.fileErrors.size(), 1);
        QVERIFY2(config.fileErrors.first().contains(QLatin1String("nope.yaml")), qPrintable(config.fileErrors.first()));
        QVERIFY(config.contexts.isEmpty());
    }

    void kubeconfigEnvDropsDuplicatesAndSkipsMissingFiles()
    {
        QTemporaryDir dir;
        const QString a = writeFile(dir, QStringLiteral("a.yaml"), simpleConfig("ctx-a", "https://192.0.2.1"));
        const QString b = writeFile(dir, QStringLiteral("b.yaml"), simpleConfig("ctx-b", "https://192.0.2.2"));
        const QString missing = dir.filePath(QStringLiteral("missing.yaml"));
        const Kubeconfig config = Kubeconfig::load(optionsWith(dir, QStringList {a, missing, a, b, a}.join(u':')));
        QCOMPARE(config.files, (QStringList {a, b}));
        QVERIFY(config.fileErrors.isEmpty());
        QCOMPARE(config.contexts.size(), 2);
        QCOMPARE(config.currentContext, QStringLiteral("ctx-a"));
    }

    void homeKubeConfigIsTheFallback()
    {
        QTemporaryDir dir;
        const QString home =
            writeFile(dir, QStringLiteral("home/.kube/config"), simpleConfig("home-ctx", "https://192.0.2.3"));
        const Kubeconfig config = Kubeconfig::load(optionsWith(dir, QString()));
        QCOMPARE(config.files, QStringList {home});
        QVERIFY(config.context(QStringLiteral("home-ctx")));
        QVERIFY(config.context(QStringLiteral("home-ctx"))->config);
        QCOMPARE(config.context(QStringLiteral("home-ctx"))->config->server, QUrl(QStringLiteral("https://192.0.2.3")));
    }

    void firstFileWinsWholeEntriesAndFirstCurrentContext()
    {
        QTemporaryDir dir;
        const QString first = writeFile(dir, QStringLiteral("first.yaml"),
            "clusters:\n- name: shared\n  cluster:\n    server: https://192.0.2.1\n"
            "users:\n- name: u\n  user:\n    token: first-token\n"
            "contexts:\n- name: one\n  context: {cluster: shared, user: u}\n");
        const QString second = writeFile(dir, QStringLiteral("second.yaml"),
            "clusters:\n- name: shared\n  cluster:\n    server: https://192.0.2.2\n    tls-server-name: second\n"
            "users:\n- name: u\n  user:\n    token: second-token\n    username: extra\n"
            "contexts:\n- name: one\n  context: {cluster: shared, namespace: second}\n"
            "- name: two\n  context: {cluster: shared, user: u}\ncurrent-context: two\n");
        const Kubeconfig config = Kubeconfig::load(optionsWith(dir, first + u':' + second));
        QCOMPARE(config.currentContext, QStringLiteral("two"));
        const KubeconfigContext *one = config.context(QStringLiteral("one"));
        QVERIFY(one && one->config);
        QCOMPARE(one->config->server, QUrl(QStringLiteral("https://192.0.2.1")));
        QVERIFY(one->config->tlsServerName.isEmpty());
        QCOMPARE(one->config->token, QStringLiteral("first-token"));
        QVERIFY(one->config->username.isEmpty());
        QCOMPARE(one->namespaceName, QStringLiteral("default"));
        const KubeconfigContext *two = config.context(QStringLiteral("two"));
        QVERIFY(two && two->config);
        QCOMPARE(two->config->server, QUrl(QStringLiteral("https://192.0.2.1")));
    }

    void relativePathsResolveAgainstTheDefiningFile()
    {
        QTemporaryDir dir;
        writeFile(dir, QStringLiteral("certs/ca.crt"), "CA BYTES");
        writeFile(dir, QStringLiteral("nested/deeper/client.crt"), "CERT BYTES");
        writeFile(dir, QStringLiteral("nested/deeper/client.key"), "KEY BYTES");
        writeFile(dir, QStringLiteral("nested/deeper/token"), "  file-token \n");
        const QString path = writeFile(dir, QStringLiteral("nested/deeper/config"),
            "clusters:\n- name: c\n  cluster:\n    server: https://192.0.2.1\n    certificate-authority: "
            "../../certs/ca.crt\n"
            "users:\n- name: cert\n  user:\n    client-certificate: client.crt\n    client-key: ./client.key\n"
            "- name: tok\n  user:\n    tokenFile: token\n"
            "- name: ex\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
            "      command: ./bin/plugin\n      interactiveMode: Never\n"
            "- name: expath\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
            "      command: plugin-on-path\n      interactiveMode: Never\n"
            "contexts:\n- name: cert\n  context: {cluster: c, user: cert}\n- name: tok\n  context: {cluster: c, user: "
            "tok}\n"
            "- name: ex\n  context: {cluster: c, user: ex}\n- name: expath\n  context: {cluster: c, user: expath}\n");
        const Kubeconfig config = Kubeconfig::load(optionsWith(dir, path));
        const KubeconfigContext *cert = config.context(QStringLiteral("cert"));
        QVERIFY2(cert && cert->config, qPrintable(allErrors(config)));
        QCOMPARE(cert->config->caPem, QByteArray("CA BYTES"));
        QCOMPARE(cert->config->clientCertificatePem, QByteArray("CERT BYTES"));
        QCOMPARE(cert->config->clientKeyPem, QByteArray("KEY BYTES"));
        const KubeconfigContext *tok = config.context(QStringLiteral("tok"));
        QVERIFY(tok && tok->config);
        QCOMPARE(tok->config->token, QStringLiteral("file-token"));
        QCOMPARE(tok->config->tokenFile, dir.filePath(QStringLiteral("nested/deeper/token")));
        const KubeconfigContext *ex = config.context(QStringLiteral("ex"));
        QVERIFY(ex && ex->config && ex->config->exec);
        QCOMPARE(ex->config->exec->command, dir.filePath(QStringLiteral("nested/deeper/bin/plugin")));
        const KubeconfigContext *expath = config.context(QStringLiteral("expath"));
        QVERIFY(expath && expath->config && expath->config->exec);
        QCOMPARE(expath->config->exec->command, QStringLiteral("plugin-on-path"));
    }

    void dataFieldsAreBase64()
    {
        QTemporaryDir dir;
        const QString path = writeFile(dir, QStringLiteral("config"),
            "clusters:\n- name: c\n  cluster:\n    server: https://192.0.2.1\n    certificate-authority-data: "
            "Q0EgREFUQQ==\n"
            "users:\n- name: u\n  user:\n    client-certificate-data: |\n      Q0VSVCBE\n      QVRB\n"
            "    client-key-data: S0VZIERBVEE=\n"
            "contexts:\n- name: x\n  context: {cluster: c, user: u}\n");
        const Kubeconfig config = Kubeconfig::load(optionsWith(dir, path));
        const KubeconfigContext *x = config.context(QStringLiteral("x"));
        QVERIFY2(x && x->config, qPrintable(allErrors(config)));
        QCOMPARE(x->config->caPem, QByteArray("CA DATA"));
        QCOMPARE(x->config->clientCertificatePem, QByteArray("CERT DATA"));
        QCOMPARE(x->config->clientKeyPem, QByteArray("KEY DATA"));
    }

    void tokenBeatsTokenFile()
    {
        QTemporaryDir dir;
        writeFile(dir, QStringLiteral("token"), "from-file\n");
        const QString path = writeFile(dir, QStringLiteral("config"),
            "clusters:\n- name: c\n  cluster:\n    server: https://192.0.2.1\n"
            "users:\n- name: u\n  user:\n    token: inline-token\n    tokenFile: token\n"
            "contexts:\n- name: x\n  context: {cluster: c, user: u}\n");
        const Kubeconfig config = Kubeconfig::load(optionsWith(dir, path));
        const KubeconfigContext *x = config.context(QStringLiteral("x"));
        QVERIFY2(x && x->config, qPrintable(allErrors(config)));
        QCOMPARE(x->config->token, QStringLiteral("inline-token"));
        QCOMPARE(x->config->tokenFile, dir.filePath(QStringLiteral("token")));
    }

    void transportSettingsAreCarried()
    {
        QTemporaryDir dir;
        const QString path = writeFile(dir, QStringLiteral("config"),
            "clusters:\n- name: c\n  cluster:\n    server: https://192.0.2.1:6443\n    tls-server-name: api.example\n"
            "    proxy-url: socks5://198.51.100.1:1080\n    insecure-skip-tls-verify: true\n"
            "users:\n- name: u\n  user:\n    username: alice\n    password: pw\n    as: bob\n    as-groups: [g1]\n"
            "contexts:\n- name: x\n  context: {cluster: c, user: u, namespace: team}\n");
        const Kubeconfig config = Kubeconfig::load(optionsWith(dir, path));
        const KubeconfigContext *x = config.context(QStringLiteral("x"));
        QVERIFY2(x && x->config, qPrintable(allErrors(config)));
        QCOMPARE(x->config->tlsServerName, QStringLiteral("api.example"));
        QCOMPARE(x->config->proxyUrl, QUrl(QStringLiteral("socks5://198.51.100.1:1080")));
        QVERIFY(x->config->insecureSkipTlsVerify);
        QCOMPARE(x->config->username, QStringLiteral("alice"));
        QCOMPARE(x->config->password, QStringLiteral("pw"));
        QCOMPARE(x->config->impersonateUser, QStringLiteral("bob"));
        QCOMPARE(x->config->impersonateGroups, QStringList {QStringLiteral("g1")});
        QCOMPARE(x->config->namespaceName, QStringLiteral("team"));
        QCOMPARE(x->config->contextName, QStringLiteral("x"));
    }

    void invalidEntriesFailOnlyTheirContexts_data()
    {
        QTest::addColumn<QByteArray>("cluster");
        QTest::addColumn<QByteArray>("user");
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("entry");

        const QByteArray okCluster = "    server: https://192.0.2.1\n";
        const QByteArray okUser = "    token: t\n";
        QTest::newRow("insecure with CA") << QByteArray(okCluster +
                                                 "    insecure-skip-tls-verify: true\n"
                                                 "    certificate-authority-data: Q0E=\n")
                                          << okUser << "insecure-skip-tls-verify"
                                          << "clusters entry \"bad\"";
        QTest::newRow("server is a list") << QByteArray("    server: [a, b]\n") << okUser << "server"
                                          << "clusters entry \"bad\"";
        QTest::newRow("server missing") << QByteArray("    tls-server-name: x\n") << okUser << "server"
                                        << "clusters entry \"bad\"";
        QTest::newRow("bool is not a bool")
            << QByteArray(okCluster + "    insecure-skip-tls-verify: maybe\n") << okUser << "insecure-skip-tls-verify"
            << "clusters entry \"bad\"";
        QTest::newRow("CA file missing") << QByteArray(okCluster + "    certificate-authority: nope.crt\n") << okUser
                                         << "certificate-authority"
                                         << "clusters entry \"bad\"";
        QTest::newRow("proxy not a URL") << QByteArray(okCluster + "    proxy-url: ftp://x\n") << okUser << "proxy-url"
                                         << "clusters entry \"bad\"";
        QTest::newRow("bad base64") << okCluster
                                    << QByteArray("    client-certificate-data: '%%%'\n    client-key-data: S0VZ\n")
                                    << "client-certificate-data"
                                    << "users entry \"bad\"";
        QTest::newRow("cert without key")
            << okCluster << QByteArray("    client-certificate-data: Q0VSVA==\n") << "client-key"
            << "users entry \"bad\"";
        QTest::newRow("token and basic") << okCluster << QByteArray("    token: t\n    username: u\n    password: p\n")
                                         << "username"
                                         << "users entry \"bad\"";
        QTest::newRow("v1 exec without interactiveMode")
            << okCluster
            << QByteArray("    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: x\n")
            << "exec.interactiveMode"
            << "users entry \"bad\"";
        QTest::newRow("exec args not a list")
            << okCluster
            << QByteArray("    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: x\n"
                          "      args: {a: b}\n      interactiveMode: Never\n")
            << "exec.args"
            << "users entry \"bad\"";
        QTest::newRow("auth-provider") << okCluster << QByteArray("    auth-provider:\n      name: gcp\n")
                                       << "auth-provider"
                                       << "users entry \"bad\"";
        QTest::newRow("unquoted number as string") << okCluster << QByteArray("    token: 12345\n") << "token"
                                                   << "users entry \"bad\"";
    }

    void invalidEntriesFailOnlyTheirContexts()
    {
        QFETCH(QByteArray, cluster);
        QFETCH(QByteArray, user);
        QFETCH(QString, field);
        QFETCH(QString, entry);
        QTemporaryDir dir;
        const QString path = writeFile(dir, QStringLiteral("config"),
            "clusters:\n- name: good\n  cluster:\n    server: https://192.0.2.1\n- name: bad\n  cluster:\n" + cluster +
                "users:\n- name: good\n  user:\n    token: t\n- name: bad\n  user:\n" + user +
                "contexts:\n- name: broken\n  context: {cluster: bad, user: bad}\n"
                "- name: fine\n  context: {cluster: good, user: good}\n");
        const Kubeconfig config = Kubeconfig::load(optionsWith(dir, path));
        QVERIFY2(config.fileErrors.isEmpty(), qPrintable(config.fileErrors.join(u'\n')));
        const KubeconfigContext *broken = config.context(QStringLiteral("broken"));
        QVERIFY(broken);
        QVERIFY(!broken->config);
        QVERIFY2(broken->error.contains(path), qPrintable(broken->error));
        QVERIFY2(broken->error.contains(entry), qPrintable(broken->error));
        QVERIFY2(broken->error.contains(QStringLiteral("field \"%1\"").arg(field)), qPrintable(broken->error));
        const KubeconfigContext *fine = config.context(QStringLiteral("fine"));
        QVERIFY2(fine && fine->config && fine->error.isEmpty(), fine ? qPrintable(fine->error) : "missing");
    }

    void missingReferencesNameTheContext()
    {
        QTemporaryDir dir;
        const QString path = writeFile(dir, QStringLiteral("config"),
            "clusters:\n- name: c\n  cluster:\n    server: https://192.0.2.1\n"
            "contexts:\n- name: nocluster\n  context: {cluster: ghost}\n- name: nouser\n  context: {cluster: c, user: "
            "ghost}\n"
            "- name: anonymous\n  context: {cluster: c}\n");
        const Kubeconfig config = Kubeconfig::load(optionsWith(dir, path));
        QVERIFY(config.context(QStringLiteral("nocluster"))->error.contains(QLatin1String("cluster \"ghost\"")));
        QVERIFY(config.context(QStringLiteral("nouser"))->error.contains(QLatin1String("user \"ghost\"")));
        QVERIFY(config.context(QStringLiteral("anonymous"))->config);
    }

    void malformedFileDoesNotHideOtherFiles()
    {
        QTemporaryDir dir;
        const QString bad = writeFile(dir, QStringLiteral("bad.yaml"), "clusters: [\n  - {name: x\n");
        const QString good = writeFile(dir, QStringLiteral("good.yaml"), simpleConfig("ok", "https://192.0.2.4"));
        const Kubeconfig config = Kubeconfig::load(optionsWith(dir, bad + u':' + good));
        QCOMPARE(config.fileErrors.size(), 1);
        QVERIFY2(config.fileErrors.first().contains(bad), qPrintable(config.fileErrors.first()));
        QCOMPARE(config.files, QStringList {good});
        QVERIFY(config.context(QStringLiteral("ok"))->config);
    }

    void namespaceDefaultsToDefault()
    {
        QTemporaryDir dir;
        const Kubeconfig config = Kubeconfig::load(
            optionsWith(dir, writeFile(dir, QStringLiteral("c"), simpleConfig("x", "https://192.0.2.1"))));
        QCOMPARE(config.context(QStringLiteral("x"))->namespaceName, QStringLiteral("default"));
        QCOMPARE(config.context(QStringLiteral("x"))->config->namespaceName, QStringLiteral("default"));
    }

    void inClusterConfigIsUsedWhenNoFileExists()
    {
        QTemporaryDir dir;
        writeFile(dir, QStringLiteral("sa/token"), "sa-token\n");
        writeFile(dir, QStringLiteral("sa/ca.crt"), "SA CA");
        writeFile(dir, QStringLiteral("sa/namespace"), "tap-system\n");
        KubeconfigLoadOptions options = optionsWith(dir, QString());
        options.inClusterRoot = dir.filePath(QStringLiteral("sa"));
        options.environment.insert(QStringLiteral("KUBERNETES_SERVICE_HOST"), QStringLiteral("2001:db8::1"));
        options.environment.insert(QStringLiteral("KUBERNETES_SERVICE_PORT"), QStringLiteral("443"));
        const Kubeconfig config = Kubeconfig::load(options);
        QVERIFY(config.inCluster);
        QCOMPARE(config.currentContext, QStringLiteral("in-cluster"));
        const KubeconfigContext *current = config.current();
        QVERIFY2(current && current->config, current ? qPrintable(current->error) : "none");
        QCOMPARE(current->config->server, QUrl(QStringLiteral("https://[2001:db8::1]:443")));
        QCOMPARE(current->config->token, QStringLiteral("sa-token"));
        QCOMPARE(current->config->tokenFile, dir.filePath(QStringLiteral("sa/token")));
        QCOMPARE(current->config->caPem, QByteArray("SA CA"));
        QCOMPARE(current->namespaceName, QStringLiteral("tap-system"));
    }

    void inClusterWithoutServiceAccountIsAnError()
    {
        QTemporaryDir dir;
        KubeconfigLoadOptions options = optionsWith(dir, QString());
        options.environment.insert(QStringLiteral("KUBERNETES_SERVICE_HOST"), QStringLiteral("192.0.2.1"));
        options.environment.insert(QStringLiteral("KUBERNETES_SERVICE_PORT"), QStringLiteral("443"));
        const Kubeconfig config = Kubeconfig::load(options);
        QVERIFY(config.current());
        QVERIFY(!config.current()->config);
        QVERIFY2(config.current()->error.contains(QLatin1String("token")), qPrintable(config.current()->error));
    }

    void secretsNeverAppearInErrors()
    {
        QTemporaryDir dir;
        const QByteArray keyData = QByteArray("TOP-SECRET-KEY-MATERIAL").toBase64();
        const QString path = writeFile(dir, QStringLiteral("config"),
            "clusters:\n- name: c\n  cluster:\n    server: https://192.0.2.1\n"
            "- name: bad\n  cluster:\n    server: https://192.0.2.1\n    insecure-skip-tls-verify: maybe\n"
            "users:\n- name: tokbasic\n  user:\n    token: SECRET-TOKEN-1\n    username: u\n    password: "
            "SECRET-PASSWORD-2\n"
            "- name: keyonly\n  user:\n    client-key-data: " +
                keyData +
                "\n    token: SECRET-TOKEN-3\n"
                "- name: badkey\n  user:\n    client-key-data: 'SECRET-NOT-BASE64!'\n"
                "- name: wrongtype\n  user:\n    token: [SECRET-TOKEN-4]\n"
                "contexts:\n- name: a\n  context: {cluster: c, user: tokbasic}\n- name: b\n  context: {cluster: c, "
                "user: keyonly}\n"
                "- name: c\n  context: {cluster: c, user: badkey}\n- name: d\n  context: {cluster: c, user: "
                "wrongtype}\n"
                "- name: e\n  context: {cluster: bad, user: tokbasic}\n");
        const Kubeconfig config = Kubeconfig::load(optionsWith(dir, path));
        QCOMPARE(config.contexts.size(), 5);
        const QString errors = allErrors(config);
        for (const auto &context : config.contexts) {
            QVERIFY2(!context.error.isEmpty(), qPrintable(context.name));
        }
        for (const QString &secret :
            {QStringLiteral("SECRET"), QString::fromLatin1(keyData), QStringLiteral("TOP-SECRET")}) {
            QVERIFY2(!errors.contains(secret), qPrintable(errors));
        }
    }
};

QTEST_GUILESS_MAIN(TestKubeconfigLoader)
#include "tst_kubeconfig_loader.moc"
