// SPDX-License-Identifier: Apache-2.0
#include "cert_authority.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace podtap::sim {

namespace {

struct PkeyFree
{
    void operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
};
struct X509Free
{
    void operator()(X509 *cert) const { X509_free(cert); }
};
struct BioFree
{
    void operator()(BIO *bio) const { BIO_free(bio); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using BioPtr = std::unique_ptr<BIO, BioFree>;

QByteArray bioContents(BIO *bio)
{
    char *data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return QByteArray(data, int(size));
}

QByteArray certPem(X509 *cert)
{
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(bio.get(), cert);
    return bioContents(bio.get());
}

QByteArray keyPem(EVP_PKEY *key)
{
    // The traditional "EC PRIVATE KEY" form: every client (Go, Python, Qt) reads it.
    BioPtr bio(BIO_new(BIO_s_mem()));
    PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    return bioContents(bio.get());
}

PkeyPtr newKey()
{
    return PkeyPtr(EVP_EC_gen("P-256"));
}

bool addExtension(X509 *cert, X509 *issuer, int nid, const QByteArray &value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.constData());
    if (!ext) {
        return false;
    }
    const bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

X509Ptr newCert(EVP_PKEY *key, const QByteArray &cn, const QByteArray &org, X509 *issuer, EVP_PKEY *issuerKey,
    const QList<std::pair<int, QByteArray>> &extensions)
{
    X509Ptr cert(X509_new());
    X509_set_version(cert.get(), 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f; // positive
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 365);
    X509_set_pubkey(cert.get(), key);
    X509_NAME *name = X509_get_subject_name(cert.get());
    if (!org.isEmpty()) {
        X509_NAME_add_entry_by_txt(
            name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char *>(org.constData()), -1, -1, 0);
    }
    X509_NAME_add_entry_by_txt(
        name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char *>(cn.constData()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
    X509 *issuerCert = issuer ? issuer : cert.get();
    for (const auto &[nid, value] : extensions) {
        if (!addExtension(cert.get(), issuerCert, nid, value)) {
            return nullptr;
        }
    }
    if (X509_sign(cert.get(), issuerKey ? issuerKey : key, EVP_sha256()) == 0) {
        return nullptr;
    }
    return cert;
}

} // namespace

struct CertAuthority::Private
{
    PkeyPtr key;
    X509Ptr cert;
};

CertAuthority::CertAuthority()
    : d(std::make_unique<Private>())
{
    d->key = newKey();
    if (!d->key) {
        m_error = QStringLiteral("generate the CA key: OpenSSL error %1").arg(ERR_get_error());
        return;
    }
    d->cert = newCert(d->key.get(), "kube-sim-ca", {}, nullptr, nullptr,
        {{NID_basic_constraints, "critical,CA:TRUE"}, {NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign"},
            {NID_subject_key_identifier, "hash"}});
    if (!d->cert) {
        m_error = QStringLiteral("sign the CA certificate: OpenSSL error %1").arg(ERR_get_error());
        return;
    }
    m_caPem = certPem(d->cert.get());
    m_valid = true;
}

CertAuthority::~CertAuthority() = default;

CertAuthority::Issued CertAuthority::issueServer(const QByteArrayList &ipAddresses, const QByteArrayList &dnsNames)
{
    PkeyPtr key = newKey();
    QByteArrayList san;
    for (const QByteArray &ip : ipAddresses) {
        san.append("IP:" + ip);
    }
    for (const QByteArray &dns : dnsNames) {
        san.append("DNS:" + dns);
    }
    X509Ptr cert = newCert(key.get(), "kube-apiserver", {}, d->cert.get(), d->key.get(),
        {{NID_basic_constraints, "critical,CA:FALSE"}, {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
            {NID_ext_key_usage, "serverAuth"}, {NID_authority_key_identifier, "keyid:always"},
            {NID_subject_alt_name, san.join(',')}});
    if (!cert) {
        m_error = QStringLiteral("sign the server certificate: OpenSSL error %1").arg(ERR_get_error());
        return {};
    }
    return {certPem(cert.get()), keyPem(key.get())};
}

CertAuthority::Issued CertAuthority::issueClient(const QByteArray &user, const QByteArray &group)
{
    PkeyPtr key = newKey();
    X509Ptr cert = newCert(key.get(), user, group, d->cert.get(), d->key.get(),
        {{NID_basic_constraints, "critical,CA:FALSE"}, {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
            {NID_ext_key_usage, "clientAuth"}, {NID_authority_key_identifier, "keyid:always"}});
    if (!cert) {
        m_error = QStringLiteral("sign the client certificate: OpenSSL error %1").arg(ERR_get_error());
        return {};
    }
    return {certPem(cert.get()), keyPem(key.get())};
}

bool CertAuthority::verifyClient(const QByteArray &der, Subject *subject) const
{
    const auto *data = reinterpret_cast<const unsigned char *>(der.constData());
    X509Ptr cert(d2i_X509(nullptr, &data, der.size()));
    if (!cert) {
        return false;
    }
    if (X509_NAME_cmp(X509_get_issuer_name(cert.get()), X509_get_subject_name(d->cert.get())) != 0 ||
        X509_verify(cert.get(), d->key.get()) != 1) {
        return false;
    }
    if (X509_cmp_current_time(X509_get0_notBefore(cert.get())) >= 0 ||
        X509_cmp_current_time(X509_get0_notAfter(cert.get())) <= 0) {
        return false;
    }
    X509_NAME *name = X509_get_subject_name(cert.get());
    subject->user.clear();
    subject->groups.clear();
    for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
        X509_NAME_ENTRY *entry = X509_NAME_get_entry(name, i);
        const int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
        const ASN1_STRING *value = X509_NAME_ENTRY_get_data(entry);
        const QByteArray text(reinterpret_cast<const char *>(ASN1_STRING_get0_data(value)), ASN1_STRING_length(value));
        if (nid == NID_commonName) {
            subject->user = text;
        } else if (nid == NID_organizationName) {
            subject->groups.append(text);
        }
    }
    return !subject->user.isEmpty();
}

} // namespace podtap::sim
