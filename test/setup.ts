// Every test starts on the pure-JS cpu backend: exact, and always present. Tests that need wasm switch explicitly.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';

void tf.setBackend('cpu');
