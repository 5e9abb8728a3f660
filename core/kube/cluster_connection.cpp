// SPDX-License-Identifier: Apache-2.0
#include "kube/cluster_connection.h"

#include "kube/exec_credential.h"
#include "kube/kube_client.h"

namespace podtap::kube {

ClusterConnection::ClusterConnection() = default;
ClusterConnection::ClusterConnection(ClusterConnection &&) noexcept = default;
ClusterConnection &ClusterConnection::operator=(ClusterConnection &&) noexcept = default;
ClusterConnection::~ClusterConnection() = default;

std::unique_ptr<KubeClient> clientForContext(const KubeconfigContext &context)
{
    if (!context.config) {
        return nullptr;
    }
    auto client = std::make_unique<KubeClient>(*context.config);
    if (context.config->exec) {
        auto provider = std::make_shared<ExecCredentialProvider>(*context.config->exec, *context.config);
        // The plugin runs on a worker thread: a browser login must not freeze the console.
        client->setCredentialProvider([provider, receiver = client.get()](bool, KubeClient::CredentialCallback done) {
            provider->runAsync(receiver, [done = std::move(done)](const ExecCredentialResult &result) {
                done(result.credential, result.error);
            });
        });
    }
    return client;
}

ClusterConnection connectToCluster(const QString &kubeconfigPath, const QString &contextName)
{
    ClusterConnection connection;
    KubeconfigLoadOptions options;
    options.explicitPath = kubeconfigPath;
    connection.kubeconfig = Kubeconfig::load(options);
    const Kubeconfig &config = connection.kubeconfig;
    const QString name = contextName.isEmpty() ? config.currentContext : contextName;
    const QString files =
        config.files.isEmpty() ? QStringLiteral("(no kubeconfig file found)") : config.files.join(QStringLiteral(", "));
    if (!config.fileErrors.isEmpty() && config.contexts.isEmpty()) {
        connection.error = config.fileErrors.join(QLatin1Char('\n'));
        return connection;
    }
    if (name.isEmpty()) {
        connection.error = QStringLiteral("No context selected in %1: the kubeconfig has no current-context. Pass "
                                          "--context NAME or run kubectl config use-context NAME.")
                               .arg(files);
        return connection;
    }
    const KubeconfigContext *context = config.context(name);
    if (!context) {
        QStringList names;
        for (const auto &c : config.contexts) {
            names << c.name;
        }
        connection.error =
            QStringLiteral("Context \"%1\" is not in %2. Known contexts: %3.")
                .arg(name, files, names.isEmpty() ? QStringLiteral("none") : names.join(QStringLiteral(", ")));
        return connection;
    }
    connection.contextName = context->name;
    connection.namespaceName = context->namespaceName;
    if (!context->config) {
        connection.error = context->error;
        return connection;
    }
    connection.client = clientForContext(*context);
    return connection;
}

} // namespace podtap::kube
