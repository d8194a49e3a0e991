// Empty on purpose. Built normally (`swift build`), this target is an executable that does
// nothing; Fuzz/run.sh builds it with `-sanitize=fuzzer,address -parse-as-library`, and then
// libFuzzer's own main calls `LLVMFuzzerTestOneInput` in FuzzMQTTPacket.swift.
