// vlcluster: cluster photos by CLIP embeddings, on the device.
// This entry point exports the encoding side (tokenizer, image preprocessing, ONNX encoder), the
// clustering core (WebAssembly) and the photo pipeline built on both (PhotoSession).

export {
  ClipTokenizer, bytesToUnicode, cleanText, CLIP_PATTERN, CONTEXT_LENGTH, START_TOKEN, END_TOKEN,
} from './tokenizer.js';
export {
  preprocessImage, resizeAndCrop, resizeBicubicRGB, shortestSideSize, toRGB,
  readJpegInfo, readExifOrientation, applyOrientation, decodeImage, browserAppliesExifOrientation,
  CLIP_IMAGE_SIZE, CLIP_MEAN, CLIP_STD,
} from './preprocess.js';
export {
  Encoder, ModelFormatError, loadBytes, l2NormalizeRows,
  DEFAULT_EXECUTION_PROVIDERS, VISION_INPUT, VISION_OUTPUT, TEXT_INPUT, TEXT_MASK, TEXT_OUTPUT,
} from './encoder.js';
export {
  clusterEmbeddings, filterNouns, loadVlcModule, loadVocabulary, ensembleNouns, defaultQ,
  halfToFloat, floatToHalf, TextEmbeddingCache, TEMPLATES, MIN_IMAGE_SIDE,
} from './cluster.js';
export { PhotoSession, clusterImages, runPipeline, modelFiles } from './photo_session.js';
export {
  parseWordList, selectWords, buildVocabularyAsset, deviceVocabularyAsset, nounListUrl,
} from './vocabulary.js';
export { resolveModel, locateModel, findVocabularyAsset, isHubId, DTYPE_SUFFIXES } from './models.js';
