// SPDX-License-Identifier: Apache-2.0
// The kubeconfig loader on hostile YAML: parsing never throws, every error names the file, a context
// is either usable or says why not, the redacted view leaks no secret, and what `config view --raw`
// prints loads back with the same entries.
#include "fuzz_support.h"
#include "kube/kubeconfig.h"
#include "kube/kubeconfig_printer.h"

#include <QJsonDocument>
#include <QSet>

#include <cstdio>

using namespace podtap;
using namespace podtap::kube;
using podtap::fuzz::require;

namespace {

const QString kPath = QStringLiteral("/nonexistent-podtap-fuzz/config");

/// Referenced files would make the run read whatever the input names (/dev/zero, a FIFO): point them
/// all at one missing file, so resolving exercises the "cannot read" path instead.
void neutralizeFiles(KubeconfigDocument &doc)
{
    const QString missing = QStringLiteral("/nonexistent-podtap-fuzz/referenced");
    for (KubeconfigClusterEntry &c : doc.clusters) {
        if (!c.certificateAuthority.isEmpty()) {
            c.certificateAuthority = missing;
        }
    }
    for (KubeconfigUserEntry &u : doc.users) {
        for (QString *path : {&u.clientCertificate, &u.clientKey, &u.tokenFile}) {
            if (!path->isEmpty()) {
                *path = missing;
            }
        }
    }
}

/// Tokens and passwords long enough to recognise, and written exactly once in the input (so finding
/// one in an output means it was copied from the secret field, not from a name that looks the same).
QStringList secretsOf(const KubeconfigDocument &doc, const QByteArray &input)
{
    QStringList secrets;
    for (const KubeconfigUserEntry &u : doc.users) {
        for (const QString &secret : {u.token, u.password}) {
            const QByteArray utf8 = secret.toUtf8();
            if (utf8.size() >= 12 && input.count(utf8) == 1) {
                secrets << secret;
            }
        }
    }
    return secrets;
}

void requireNoSecret(const QString &text, const QStringList &secrets, const char *where)
{
    for (const QString &secret : secrets) {
        require(!text.contains(secret), where);
    }
}

template<typename Map>
QSet<QString> namesOf(const Map &map)
{
    QSet<QString> names;
    for (auto it = map.begin(); it != map.end(); ++it) {
        names.insert(it.key());
    }
    return names;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray input = fuzz::bytes(data, size);
    KubeconfigDocument doc = KubeconfigDocument::fromYaml(input, kPath);
    require(doc.fileError.isEmpty() || doc.fileError.contains(kPath), "a file error does not name the file");
    if (!doc.fileError.isEmpty()) {
        return 0;
    }
    neutralizeFiles(doc);
    const QStringList secrets = secretsOf(doc, input);
    for (const KubeconfigClusterEntry &c : doc.clusters) {
        require(c.error.isEmpty() || c.error.contains(kPath), "a cluster error does not name the file");
    }
    for (const KubeconfigUserEntry &u : doc.users) {
        require(u.error.isEmpty() || u.error.contains(kPath), "a user error does not name the file");
        requireNoSecret(u.error, secrets, "a user error shows a token or password");
    }
    for (const KubeconfigContextEntry &c : doc.contexts) {
        require(c.error.isEmpty() || c.error.contains(kPath), "a context error does not name the file");
    }

    QStringList contextNames = doc.contexts.keys();
    contextNames << QStringLiteral("no-such-context-podtap-fuzz");
    for (const QString &name : contextNames) {
        const KubeconfigContext context = Kubeconfig::resolve(doc, name);
        require(context.config.has_value() == context.error.isEmpty(), "a context is neither usable nor explained");
        require(context.config.has_value() || doc.contexts.contains(name) || context.error.contains(name),
            "the error for a missing context does not name it");
        requireNoSecret(context.error, secrets, "a context error shows a token or password");
    }

    // kubectl config view (redacted): no secret, and the JSON form is JSON.
    KubeconfigViewOptions options;
    const KubeconfigViewResult yaml = KubeconfigPrinter::view(doc, options);
    require(yaml.error.isEmpty(), "config view without --minify failed");
    requireNoSecret(QString::fromUtf8(yaml.output), secrets, "config view shows a token or password");
    options.format = KubeconfigViewOptions::Format::Json;
    const KubeconfigViewResult json = KubeconfigPrinter::view(doc, options);
    require(QJsonDocument::fromJson(json.output).isObject(), "config view -o json is not a JSON object");

    // config view --raw loads back with the same entries and current context.
    options.format = KubeconfigViewOptions::Format::Yaml;
    options.raw = true;
    const KubeconfigViewResult raw = KubeconfigPrinter::view(doc, options);
    const KubeconfigDocument reloaded = KubeconfigDocument::fromYaml(raw.output, kPath);
    if (!reloaded.fileError.isEmpty()) {
        std::fprintf(stderr, "%s\n", qPrintable(reloaded.fileError));
    }
    require(reloaded.fileError.isEmpty(), "config view --raw prints YAML that does not load");
    require(namesOf(reloaded.clusters) == namesOf(doc.clusters), "config view --raw loses or invents clusters");
    require(namesOf(reloaded.users) == namesOf(doc.users), "config view --raw loses or invents users");
    require(namesOf(reloaded.contexts) == namesOf(doc.contexts), "config view --raw loses or invents contexts");
    require(reloaded.currentContext == doc.currentContext, "config view --raw changes current-context");

    options.minify = true;
    const KubeconfigViewResult minified = KubeconfigPrinter::view(doc, options);
    require(minified.error.isEmpty() || minified.output.isEmpty(), "config view --minify both failed and printed");
    return 0;
}
