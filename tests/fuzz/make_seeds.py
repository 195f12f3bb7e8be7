#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora under tests/fuzz/corpus/<target>/.

Tiny valid inputs of every format and option the targets take, so the
fuzzers start from inputs that reach deep into each parser. Protobuf seeds
are encoded with `protoc --encode` from text format (no Python protobuf
needed). Run from anywhere; it rewrites the seed_* files only (inputs added
later for bugs keep their own names).

    python3 tests/fuzz/make_seeds.py
"""
import gzip
import os
import struct
import subprocess
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, "seed_" + name), "wb") as f:
        f.write(data)


def idx(type_code, shape, values, fmt):
    out = struct.pack(">BBBB", 0, 0, type_code, len(shape))
    out += b"".join(struct.pack(">I", d) for d in shape)
    return out + b"".join(struct.pack(">" + fmt, v) for v in values)


def npy(descr, shape, payload, version=1):
    shape_text = "(" + "".join("%d, " % d for d in shape).rstrip(" ")
    if len(shape) != 1:
        shape_text = shape_text.rstrip(",")
    shape_text += ")"
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (
        descr, shape_text)
    length_bytes = 2 if version == 1 else 4
    while (8 + length_bytes + len(header) + 1) % 64:
        header += " "
    header += "\n"
    length = struct.pack("<H" if version == 1 else "<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + length + header.encode() + payload


def encode(message_type, text):
    return subprocess.run(
        ["protoc", "--encode=profundo.v1." + message_type, "-I",
         os.path.join(ROOT, "proto"), "profundo/v1/service.proto"],
        input=text.encode(), stdout=subprocess.PIPE, check=True).stdout


def varint(n):
    out = b""
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def upload_stream(name, fmt, features, labels, chunk=7):
    """Length-delimited UploadDatasetRequest messages, as upload_fuzzer reads."""
    def esc(b):
        return "".join("\\%03o" % c for c in b)
    messages = [encode("UploadDatasetRequest", (
        'header { name: "%s" format: %s features_bytes: %d labels_bytes: %d }'
        % (name, fmt, len(features), len(labels))))]
    for part, data in (("DATASET_PART_FEATURES", features),
                       ("DATASET_PART_LABELS", labels)):
        for at in range(0, len(data), chunk):
            messages.append(encode("UploadDatasetRequest", (
                'chunk { part: %s data: "%s" }' % (part, esc(data[at:at + chunk])))))
    messages.append(encode("UploadDatasetRequest", (
        "trailer { features_crc32: %d labels_crc32: %d }"
        % (zlib.crc32(features), zlib.crc32(labels) if labels else 0))))
    return b"".join(varint(len(m)) + m for m in messages)


def main():
    # IDX: every element type, raw and gzip.
    images = idx(0x08, [3, 2, 2], range(12), "B")
    labels = idx(0x08, [3], [0, 1, 2], "B")
    write("idx", "ubyte_3x2x2", images)
    write("idx", "labels_3", labels)
    write("idx", "ubyte_3x2x2.gz", gzip.compress(images, mtime=0))
    write("idx", "byte_2x2", idx(0x09, [2, 2], [-1, 2, -3, 4], "b"))
    write("idx", "short_2x2", idx(0x0B, [2, 2], [-300, 2, 3, 400], "h"))
    write("idx", "int_2x2", idx(0x0C, [2, 2], [-70000, 2, 3, 4], "i"))
    write("idx", "float_2x2", idx(0x0D, [2, 2], [0.5, -1.5, 2.0, 3.25], "f"))
    write("idx", "double_2x2", idx(0x0E, [2, 2], [0.5, -1.5, 2.0, 1e10], "d"))

    # .npy: every dtype, the three format versions, a 0-d array.
    write("npy", "f4_2x3", npy("<f4", [2, 3], struct.pack("<6f", *range(6))))
    write("npy", "f8_3", npy("<f8", [3], struct.pack("<3d", 0.5, 1.5, -2.5)))
    write("npy", "u1_2x2_v2", npy("|u1", [2, 2], bytes([1, 2, 3, 250]), version=2))
    write("npy", "i4_4_v3", npy("<i4", [4], struct.pack("<4i", -1, 0, 1, 7), version=3))
    write("npy", "i8_3", npy("<i8", [3], struct.pack("<3q", 0, 1, 2)))
    write("npy", "f4_scalar", npy("<f4", [], struct.pack("<f", 3.0)))

    # CSV: the first byte picks the options (see csv_fuzzer.cc).
    write("csv", "header_label", b"\x00a,b,label\n1,2,0\n3.5,-4,1\n")
    write("csv", "no_header", b"\x02" + b"1,2,0\r\n3,4,1\r\n")
    write("csv", "quoted_bom", b"\x00\xef\xbb\xbf\"x\",\"y, z\",label\n\"1.5\",2,0\n\n4,\"5\",1\n")
    write("csv", "label_by_name", b"\x0clabel,a\n1,0.5\n0,0.25\n")
    write("csv", "semicolon_no_label", b"\x33" + b"1;2;3\n4;5;6\n")

    # Specs: serialized ValidateModelRequest (dataset_id set: checked
    # against a 4x4, 3-class synthetic dataset).
    tiny = """spec {
      layers { flatten { input_shape: [4, 4] } }
      layers { dense { units: 8 activation: "relu" kernel_initializer: "he_normal" } }
      layers { dense { units: 3 activation: "softmax" } }
      loss: "sparse_categorical_crossentropy"
      optimizer { adam {} learning_rate: 0.01 }
      metrics: "accuracy"
      preprocessing { standardize: true } }"""
    write("spec", "tiny", encode("ValidateModelRequest", tiny))
    write("spec", "tiny_with_dataset_config", encode("ValidateModelRequest", tiny + """
      dataset_id: "ds-fuzz"
      config { epochs: 2 batch_size: 16 validation_split: 0.1 seed: 3 }"""))
    write("spec", "bn_dropout_nadam", encode("ValidateModelRequest", """spec {
      layers { flatten {} }
      layers { batch_normalization {} }
      layers { dense { units: 6 activation: "elu" kernel_initializer: "he_normal" } }
      layers { batch_normalization { momentum: 0.9 } }
      layers { dropout { rate: 0.2 } }
      layers { mc_alpha_dropout { rate: 0.1 } }
      layers { leaky_relu { alpha: 0.2 } }
      layers { dense { units: 3 activation: "softmax" } }
      optimizer { nadam {} learning_rate: 0.002 clipnorm: 1.0 } }
      dataset_id: "ds-fuzz" """))
    write("spec", "sgd_schedule_callbacks", encode("ValidateModelRequest", """spec {
      layers { dense { units: 4 activation: "selu" kernel_initializer: "lecun_normal"
                       input_shape: [16] kernel_regularizer { l2: 0.01 } } }
      layers { dense { units: 1 activation: "sigmoid" } }
      loss: "binary_crossentropy"
      optimizer { sgd { momentum: 0.9 nesterov: true }
                  learning_rate_schedule { exponential_decay {
                    initial_learning_rate: 0.1 decay_steps: 10 decay_rate: 0.5 } } } }
      config { epochs: 3 callbacks { early_stopping { patience: 2 } } }"""))
    write("spec", "empty", encode("ValidateModelRequest", "spec {}"))

    # Upload streams: IDX, CSV, NPY.
    write("upload", "idx", upload_stream("idx", "DATA_FORMAT_IDX", images, labels))
    write("upload", "csv", upload_stream(
        "csv", "DATA_FORMAT_CSV", b"a,b,label\n1,2,0\n3,4,1\n", b""))
    write("upload", "npy", upload_stream(
        "npy", "DATA_FORMAT_NPY",
        npy("<f4", [2, 2], struct.pack("<4f", 1, 2, 3, 4)),
        npy("<i8", [2], struct.pack("<2q", 0, 1))))


if __name__ == "__main__":
    main()
