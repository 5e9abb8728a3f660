// SPDX-License-Identifier: Apache-2.0
// A kubeconfig's as/as-groups reach the API server as kubectl sends them: podtap and the real
// kubectl, impersonating the same user against the same kube-sim, get the same answers.
#include "sim_fixture.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap::kube;
using podtap::test::SimFixture;
using podtap::test::waitFor;

namespace {

struct KubectlResult
{
    int exitCode = -1;
    QString out;
    QString err;
};

/// The sim's kubeconfig with impersonation settings added to its (only, and last) user.
QString impersonatingKubeconfig(const SimFixture &sim, const QTemporaryDir &dir, const QByteArray &settings)
{
    QFile in(sim.kubeconfig());
    if (!in.open(QIODevice::ReadOnly))
        return {};
    QByteArray config = in.readAll();
    if (!config.endsWith('\n'))
        config += '\n';
    config += settings;
    const QString path = dir.filePath(QStringLiteral("kubeconfig-as"));
    QFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(config) != config.size())
        return {};
    return path;
}

} // namespace

/// @brief Impersonation headers: podtap agrees with `kubectl --as` on kube-sim.
class TestImpersonationKubectl final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    KubectlResult kubectl(const SimFixture &sim, const QStringList &args) { return kubectl(sim.kubeconfig(), args); }

    KubectlResult kubectl(const QString &kubeconfig, const QStringList &args)
    {
        QProcess process;
        process.start(QStringLiteral("kubectl"),
            QStringList {QStringLiteral("--kubeconfig"), kubeconfig, QStringLiteral("--cache-dir"),
                m_dir.filePath(QStringLiteral("cache"))} +
                args);
        KubectlResult result;
        if (!process.waitForFinished(60000))
            return result;
        result.exitCode = process.exitCode();
        result.out = QString::fromUtf8(process.readAllStandardOutput()).trimmed();
        result.err = QString::fromUtf8(process.readAllStandardError()).trimmed();
        return result;
    }

    /// podtap's client for the sim's kubeconfig with @p settings (e.g. "    as: alice\n").
    std::unique_ptr<KubeClient> podtapClient(const SimFixture &sim, const QByteArray &settings)
    {
        const QString path = impersonatingKubeconfig(sim, m_dir, settings);
        ClusterConnection connection = connectToCluster(path, QString());
        if (!connection.error.isEmpty())
            qWarning("%s", qPrintable(connection.error));
        return std::move(connection.client);
    }

    static QString kubectlForbidden(const KubectlResult &result)
    {
        const QString prefix = QStringLiteral("Error from server (Forbidden): ");
        const qsizetype at = result.err.indexOf(prefix);
        return at < 0 ? result.err : result.err.mid(at + prefix.size()).section(QLatin1Char('\n'), 0, 0);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        if (QStandardPaths::findExecutable(QStringLiteral("kubectl")).isEmpty())
            QSKIP("kubectl is not installed (scripts/install-deps.sh test installs it)");
        QVERIFY(m_dir.isValid());
    }

    void accessReviewAnswersForTheImpersonatedUser()
    {
        SimFixture sim({QStringLiteral("--auth"), QStringLiteral("token"), QStringLiteral("--forbid"),
            QStringLiteral("*:pods:default:alice")});
        PODTAP_REQUIRE_SIM(sim);
        for (const QString &user : {QString(), QStringLiteral("alice"), QStringLiteral("bob")}) {
            std::unique_ptr<KubeClient> client =
                podtapClient(sim, user.isEmpty() ? QByteArray() : "    as: " + user.toUtf8() + '\n');
            QVERIFY(client);
            KubeReply *review = waitFor(client->selfSubjectAccessReview(
                QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("default")));
            QVERIFY2(review->ok(), qPrintable(review->error().toString()));
            const bool podtapAllowed =
                review->json().value(QLatin1String("status")).toObject().value(QLatin1String("allowed")).toBool();

            QStringList args {QStringLiteral("auth"), QStringLiteral("can-i"), QStringLiteral("get"),
                QStringLiteral("pods"), QStringLiteral("-n"), QStringLiteral("default")};
            if (!user.isEmpty())
                args << QStringLiteral("--as") << user;
            const KubectlResult can = kubectl(sim, args);
            QVERIFY2(can.out == QLatin1String("yes") || can.out == QLatin1String("no"), qPrintable(can.err));
            QCOMPARE(podtapAllowed, can.out == QLatin1String("yes"));
            QCOMPARE(podtapAllowed, user != QLatin1String("alice"));
        }
    }

    void refusalsNameTheImpersonatedUserAsKubectlSees()
    {
        SimFixture sim({QStringLiteral("--auth"), QStringLiteral("token"), QStringLiteral("--forbid"),
            QStringLiteral("*:pods:default:alice")});
        PODTAP_REQUIRE_SIM(sim);
        std::unique_ptr<KubeClient> client = podtapClient(sim, "    as: alice\n");
        QVERIFY(client);
        KubeReply *list = waitFor(client->get(KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("default"))));
        QCOMPARE(list->httpStatus(), 403);
        const KubectlResult kubectlList = kubectl(sim,
            {QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-n"), QStringLiteral("default"),
                QStringLiteral("--as"), QStringLiteral("alice")});
        QVERIFY(kubectlList.exitCode != 0);
        QCOMPARE(list->error().message, kubectlForbidden(kubectlList));
        QVERIFY2(list->error().message.contains(QLatin1String("User \"alice\"")), qPrintable(list->error().message));
    }

    void impersonationTheCallerMayNotDoIsForbidden()
    {
        SimFixture sim({QStringLiteral("--auth"), QStringLiteral("token"), QStringLiteral("--forbid"),
            QStringLiteral("impersonate:groups::token-user")});
        PODTAP_REQUIRE_SIM(sim);
        // Users may be impersonated, groups not: as-groups must arrive, each as its own header
        // (the refusal names the first group alone, as for kubectl's).
        std::unique_ptr<KubeClient> client = podtapClient(sim, "    as: alice\n    as-groups:\n    - dev\n    - ops\n");
        QVERIFY(client);
        KubeReply *list = waitFor(client->get(KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("default"))));
        QCOMPARE(list->httpStatus(), 403);
        // --raw: kubectl's discovery, refused the same way, would otherwise hide the message.
        const KubectlResult kubectlList = kubectl(sim,
            {QStringLiteral("get"), QStringLiteral("--raw"), QStringLiteral("/api/v1/namespaces/default/pods"),
                QStringLiteral("--as"), QStringLiteral("alice"), QStringLiteral("--as-group"), QStringLiteral("dev"),
                QStringLiteral("--as-group"), QStringLiteral("ops")});
        QVERIFY(kubectlList.exitCode != 0);
        QCOMPARE(list->error().message, kubectlForbidden(kubectlList));
        QVERIFY2(list->error().message.contains(QLatin1String("cannot impersonate resource \"groups\"")),
            qPrintable(list->error().message));

        // Without the groups, impersonating alice is allowed and she may list.
        std::unique_ptr<KubeClient> plain = podtapClient(sim, "    as: alice\n");
        KubeReply *allowed =
            waitFor(plain->get(KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("default"))));
        QVERIFY2(allowed->ok(), qPrintable(allowed->error().toString()));
    }

    void userExtraKeysAreEncodedAsKubectlEncodesThem()
    {
        // '/' and '%' must be percent-encoded in the header name: the server decodes the key, and
        // a rule on the decoded key only matches when the encoding was right.
        SimFixture sim({QStringLiteral("--auth"), QStringLiteral("token"), QStringLiteral("--forbid"),
            QStringLiteral("impersonate:userextras/example.org/why%41::token-user")});
        PODTAP_REQUIRE_SIM(sim);
        const QByteArray settings = "    as: alice\n    as-user-extra:\n      example.org/why%41: [audit]\n";
        std::unique_ptr<KubeClient> client = podtapClient(sim, settings);
        QVERIFY(client);
        KubeReply *list = waitFor(client->get(KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("default"))));
        QCOMPARE(list->httpStatus(), 403);
        // kubectl reads the same kubeconfig (it has no --as-user-extra flag).
        const KubectlResult kubectlList = kubectl(m_dir.filePath(QStringLiteral("kubeconfig-as")),
            {QStringLiteral("get"), QStringLiteral("--raw"), QStringLiteral("/api/v1/namespaces/default/pods")});
        QVERIFY(kubectlList.exitCode != 0);
        QCOMPARE(list->error().message, kubectlForbidden(kubectlList));
        QVERIFY2(list->error().message.contains(QLatin1String("userextras/example.org/why%41")),
            qPrintable(list->error().message));
    }
};

QTEST_GUILESS_MAIN(TestImpersonationKubectl)
#include "tst_impersonation_kubectl.moc"
