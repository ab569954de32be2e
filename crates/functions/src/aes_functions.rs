//! `aes_encrypt`, `aes_decrypt` and `try_aes_decrypt` in Spark's formats: AES with a 16, 24
//! or 32 byte key in GCM (the default: a 12-byte IV before the ciphertext and its 16-byte
//! tag, optional additional authenticated data), CBC (a 16-byte IV first, PKCS#7 padding) or
//! ECB (PKCS#7 padding). Without an IV argument, a random one is drawn.

use std::sync::Arc;

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyInit, KeyIvInit};
use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::AesGcm;
use datafusion::arrow::array::{ArrayRef, AsArray, BinaryBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::exec_err;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Direction {
    Encrypt,
    Decrypt,
    TryDecrypt,
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct AesFunction {
    direction: Direction,
    signature: Signature,
}

impl AesFunction {
    pub(crate) fn all() -> [Self; 3] {
        [
            Direction::Encrypt,
            Direction::Decrypt,
            Direction::TryDecrypt,
        ]
        .map(|direction| Self {
            direction,
            signature: Signature::variadic_any(Volatility::Volatile),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Gcm,
    Cbc,
    Ecb,
}

/// The mode and padding named by the arguments, checked as Spark checks them.
fn mode_of(function: &str, mode: &str, padding: &str) -> Result<Mode> {
    let mode = mode.to_ascii_uppercase();
    let padding = padding.to_ascii_uppercase();
    match (mode.as_str(), padding.as_str()) {
        ("GCM", "DEFAULT" | "NONE") => Ok(Mode::Gcm),
        ("CBC", "DEFAULT" | "PKCS") => Ok(Mode::Cbc),
        ("ECB", "DEFAULT" | "PKCS") => Ok(Mode::Ecb),
        _ => Err(DataFusionError::Execution(format!(
            "[UNSUPPORTED_FEATURE.AES_MODE] The feature is not supported: AES-{mode} with the padding {padding} by the `{function}` function."
        ))),
    }
}

fn key_error(function: &str, length: usize) -> DataFusionError {
    DataFusionError::Execution(format!(
        "[INVALID_PARAMETER_VALUE.AES_KEY_LENGTH] The value of parameter(s) `key` in `{function}` is invalid: expects a binary value with 16, 24 or 32 bytes, but got {length} bytes."
    ))
}

fn crypto_error(function: &str, detail: &str) -> DataFusionError {
    DataFusionError::Execution(format!(
        "[INVALID_PARAMETER_VALUE.AES_CRYPTO_ERROR] The value of parameter(s) `expr`, `key` in `{function}` is invalid: detail message: {detail}"
    ))
}

type Aes192Gcm = AesGcm<aes::Aes192, U12>;

fn gcm_encrypt(key: &[u8], iv: &[u8], data: &[u8], aad: &[u8], function: &str) -> Result<Vec<u8>> {
    let payload = Payload { msg: data, aad };
    let nonce = aes_gcm::Nonce::from_slice(iv);
    let sealed = match key.len() {
        16 => aes_gcm::Aes128Gcm::new_from_slice(key).map(|c| c.encrypt(nonce, payload)),
        24 => Aes192Gcm::new_from_slice(key).map(|c| c.encrypt(nonce, payload)),
        32 => aes_gcm::Aes256Gcm::new_from_slice(key).map(|c| c.encrypt(nonce, payload)),
        other => return Err(key_error(function, other)),
    };
    let sealed = sealed
        .map_err(|_| key_error(function, key.len()))?
        .map_err(|_| crypto_error(function, "encryption failed"))?;
    Ok([iv, sealed.as_slice()].concat())
}

fn gcm_decrypt(key: &[u8], data: &[u8], aad: &[u8], function: &str) -> Result<Vec<u8>> {
    if data.len() < 12 + 16 {
        return Err(crypto_error(function, "the input is too short for AES-GCM"));
    }
    let (iv, sealed) = data.split_at(12);
    let payload = Payload { msg: sealed, aad };
    let nonce = aes_gcm::Nonce::from_slice(iv);
    let opened = match key.len() {
        16 => aes_gcm::Aes128Gcm::new_from_slice(key).map(|c| c.decrypt(nonce, payload)),
        24 => Aes192Gcm::new_from_slice(key).map(|c| c.decrypt(nonce, payload)),
        32 => aes_gcm::Aes256Gcm::new_from_slice(key).map(|c| c.decrypt(nonce, payload)),
        other => return Err(key_error(function, other)),
    };
    opened
        .map_err(|_| key_error(function, key.len()))?
        .map_err(|_| crypto_error(function, "Tag mismatch"))
}

fn cbc_encrypt(key: &[u8], iv: &[u8], data: &[u8], function: &str) -> Result<Vec<u8>> {
    let sealed = match key.len() {
        16 => cbc::Encryptor::<aes::Aes128>::new_from_slices(key, iv)
            .map(|c| c.encrypt_padded_vec_mut::<Pkcs7>(data)),
        24 => cbc::Encryptor::<aes::Aes192>::new_from_slices(key, iv)
            .map(|c| c.encrypt_padded_vec_mut::<Pkcs7>(data)),
        32 => cbc::Encryptor::<aes::Aes256>::new_from_slices(key, iv)
            .map(|c| c.encrypt_padded_vec_mut::<Pkcs7>(data)),
        other => return Err(key_error(function, other)),
    }
    .map_err(|_| crypto_error(function, "the IV must be 16 bytes for AES-CBC"))?;
    Ok([iv, sealed.as_slice()].concat())
}

fn cbc_decrypt(key: &[u8], data: &[u8], function: &str) -> Result<Vec<u8>> {
    if data.len() < 16 {
        return Err(crypto_error(function, "the input is too short for AES-CBC"));
    }
    let (iv, sealed) = data.split_at(16);
    let opened = match key.len() {
        16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
            .map(|c| c.decrypt_padded_vec_mut::<Pkcs7>(sealed).ok()),
        24 => cbc::Decryptor::<aes::Aes192>::new_from_slices(key, iv)
            .map(|c| c.decrypt_padded_vec_mut::<Pkcs7>(sealed).ok()),
        32 => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
            .map(|c| c.decrypt_padded_vec_mut::<Pkcs7>(sealed).ok()),
        other => return Err(key_error(function, other)),
    };
    opened
        .map_err(|_| key_error(function, key.len()))?
        .ok_or_else(|| crypto_error(function, "Given final block not properly padded"))
}

fn ecb_encrypt(key: &[u8], data: &[u8], function: &str) -> Result<Vec<u8>> {
    match key.len() {
        16 => ecb::Encryptor::<aes::Aes128>::new_from_slice(key)
            .map(|c| c.encrypt_padded_vec_mut::<Pkcs7>(data)),
        24 => ecb::Encryptor::<aes::Aes192>::new_from_slice(key)
            .map(|c| c.encrypt_padded_vec_mut::<Pkcs7>(data)),
        32 => ecb::Encryptor::<aes::Aes256>::new_from_slice(key)
            .map(|c| c.encrypt_padded_vec_mut::<Pkcs7>(data)),
        other => return Err(key_error(function, other)),
    }
    .map_err(|_| key_error(function, key.len()))
}

fn ecb_decrypt(key: &[u8], data: &[u8], function: &str) -> Result<Vec<u8>> {
    let opened = match key.len() {
        16 => ecb::Decryptor::<aes::Aes128>::new_from_slice(key)
            .map(|c| c.decrypt_padded_vec_mut::<Pkcs7>(data).ok()),
        24 => ecb::Decryptor::<aes::Aes192>::new_from_slice(key)
            .map(|c| c.decrypt_padded_vec_mut::<Pkcs7>(data).ok()),
        32 => ecb::Decryptor::<aes::Aes256>::new_from_slice(key)
            .map(|c| c.decrypt_padded_vec_mut::<Pkcs7>(data).ok()),
        other => return Err(key_error(function, other)),
    };
    opened
        .map_err(|_| key_error(function, key.len()))?
        .ok_or_else(|| crypto_error(function, "Given final block not properly padded"))
}

/// A column of optional bytes: binary as it is, text as its UTF-8 bytes.
fn bytes_column(array: Option<&ArrayRef>, rows: usize) -> Result<Vec<Option<Vec<u8>>>> {
    let Some(array) = array else {
        return Ok(vec![None; rows]);
    };
    let binary = cast(array, &DataType::Binary)?;
    Ok(binary
        .as_binary::<i32>()
        .iter()
        .map(|b| b.map(<[u8]>::to_vec))
        .collect())
}

fn text_column(
    array: Option<&ArrayRef>,
    rows: usize,
    default: &str,
) -> Result<Vec<Option<String>>> {
    let Some(array) = array else {
        return Ok(vec![Some(default.to_string()); rows]);
    };
    let text = cast(array, &DataType::Utf8)?;
    Ok(text
        .as_string::<i32>()
        .iter()
        .map(|t| t.map(str::to_string))
        .collect())
}

impl ScalarUDFImpl for AesFunction {
    fn name(&self) -> &str {
        match self.direction {
            Direction::Encrypt => "aes_encrypt",
            Direction::Decrypt => "aes_decrypt",
            Direction::TryDecrypt => "try_aes_decrypt",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Binary)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        if arrays.len() < 2 {
            return exec_err!("{} takes an input and a key", self.name());
        }
        let inputs = bytes_column(arrays.first(), rows)?;
        let keys = bytes_column(arrays.get(1), rows)?;
        let modes = text_column(arrays.get(2), rows, "GCM")?;
        let paddings = text_column(arrays.get(3), rows, "DEFAULT")?;
        // Encryption takes an IV then AAD; decryption takes AAD only.
        let (ivs, aads) = match self.direction {
            Direction::Encrypt => (
                bytes_column(arrays.get(4), rows)?,
                bytes_column(arrays.get(5), rows)?,
            ),
            _ => (vec![None; rows], bytes_column(arrays.get(4), rows)?),
        };
        let name = self.name();
        let mut out = BinaryBuilder::new();
        for row in 0..rows {
            let (Some(input), Some(key), Some(mode), Some(padding)) =
                (&inputs[row], &keys[row], &modes[row], &paddings[row])
            else {
                out.append_null();
                continue;
            };
            let result = self.apply(
                name,
                mode_of(name, mode, padding),
                key,
                input,
                ivs[row].as_deref().filter(|iv| !iv.is_empty()),
                aads[row].as_deref().unwrap_or_default(),
            );
            match result {
                Ok(bytes) => out.append_value(bytes),
                Err(_) if self.direction == Direction::TryDecrypt => out.append_null(),
                Err(error) => return Err(error),
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

impl AesFunction {
    fn apply(
        &self,
        name: &str,
        mode: Result<Mode>,
        key: &[u8],
        input: &[u8],
        iv: Option<&[u8]>,
        aad: &[u8],
    ) -> Result<Vec<u8>> {
        let mode = mode?;
        match (self.direction, mode) {
            (Direction::Encrypt, Mode::Gcm) => {
                let random: [u8; 12] = rand::random();
                let iv = iv.unwrap_or(&random);
                if iv.len() != 12 {
                    return Err(invalid_iv(name, "GCM", 12, iv.len()));
                }
                gcm_encrypt(key, iv, input, aad, name)
            }
            (Direction::Encrypt, Mode::Cbc) => {
                let random: [u8; 16] = rand::random();
                let iv = iv.unwrap_or(&random);
                if iv.len() != 16 {
                    return Err(invalid_iv(name, "CBC", 16, iv.len()));
                }
                cbc_encrypt(key, iv, input, name)
            }
            (Direction::Encrypt, Mode::Ecb) => ecb_encrypt(key, input, name),
            (_, Mode::Gcm) => gcm_decrypt(key, input, aad, name),
            (_, Mode::Cbc) => cbc_decrypt(key, input, name),
            (_, Mode::Ecb) => ecb_decrypt(key, input, name),
        }
    }
}

fn invalid_iv(function: &str, mode: &str, expected: usize, actual: usize) -> DataFusionError {
    DataFusionError::Execution(format!(
        "[INVALID_PARAMETER_VALUE.AES_IV_LENGTH] The value of parameter(s) `iv` in `{function}` is invalid: supports {expected}-byte initialization vectors for AES-{mode}, but got {actual} bytes."
    ))
}
